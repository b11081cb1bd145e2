/**
 * `npm run bench [data|store|index|archive|codecs]`: every benchmark, or the named ones. Figures are printed as Markdown
 * tables with ratios against DCMTK measured in the same run; nothing is asserted.
 */
import { archiveBench } from './archive.js';
import { codecsBench } from './codecs.js';
import { dataLayerBench } from './data-layer.js';
import { indexBench } from './index-writes.js';
import { storeBench } from './store.js';
import { webBench } from './web.js';

const wanted = new Set(process.argv.slice(2));
const all = wanted.size === 0;
if (all || wanted.has('data')) dataLayerBench();
if (all || wanted.has('store')) await storeBench();
if (all || wanted.has('index')) await indexBench();
if (all || wanted.has('archive')) await archiveBench();
if (all || wanted.has('codecs')) await codecsBench();
if (all || wanted.has('web')) await webBench();
