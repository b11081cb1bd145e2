// The series/study viewer: keys as in Conquest's newweb viewer (manual Appendix 4). Images are rendered
// by the server (/web/image/{sop}.jpg with wc/ww/frame); negative, zoom and pan are done here in CSS.
const data = JSON.parse(document.getElementById('viewer-data').textContent);
const img = document.getElementById('viewer-image');
const stage = document.getElementById('stage');
const status = document.getElementById('viewer-status');
const header = document.getElementById('viewer-header');
const PRESETS = [
  [40, 400, 'soft tissue'],
  [-600, 1500, 'lung'],
  [300, 1500, 'bone'],
  [40, 80, 'brain'],
];
const infos = new Map();
const state = {
  series: 0,
  slice: 0,
  frame: 0,
  wc: null,
  ww: null,
  preset: -1,
  negative: false,
  zoom: 1,
  x: 0,
  y: 0,
};

const current = () => data.series[state.series].images[state.slice];

async function info(sop) {
  if (!infos.has(sop)) {
    infos.set(
      sop,
      fetch(`/web/info/${sop}`, { credentials: 'same-origin' }).then((r) =>
        r.ok ? r.json() : { frames: 1 },
      ),
    );
  }
  return infos.get(sop);
}

function url(sop, frame) {
  const p = new URLSearchParams();
  if (frame) p.set('frame', String(frame));
  if (state.wc !== null) {
    p.set('wc', String(Math.round(state.wc * 100) / 100));
    p.set('ww', String(Math.max(1, Math.round(state.ww * 100) / 100)));
  }
  const q = p.toString();
  return `/web/image/${sop}.jpg${q ? `?${q}` : ''}`;
}

function transform() {
  img.style.transform = `translate(${state.x}px, ${state.y}px) scale(${state.zoom})`;
  img.style.filter = state.negative ? 'invert(1)' : '';
}

async function show() {
  const s = data.series[state.series];
  const im = current();
  const frames = im.frames;
  if (state.frame >= frames) state.frame = frames - 1;
  img.src = url(im.sop, state.frame);
  img.alt = `Image ${state.slice + 1} of ${s.images.length}`;
  img.dataset.slice = String(state.slice);
  img.dataset.frame = String(state.frame);
  transform();
  const w = state.wc === null ? 'stored window' : `L ${Math.round(state.wc)} W ${Math.round(state.ww)}`;
  status.textContent = `${s.label}: image ${state.slice + 1}/${s.images.length}, frame ${state.frame + 1}/${frames}, ${w}${state.negative ? ', negative' : ''}, zoom ${Math.round(state.zoom * 100)}%`;
  const next = s.images[state.slice + 1];
  if (next) new Image().src = url(next.sop, 0);
  if (!header.hidden) loadHeader();
}

async function startWindow() {
  if (state.wc !== null) return;
  const i = await info(current().sop);
  state.wc = i.windowCenter ?? (i.modality === 'CT' ? 40 : 128);
  state.ww = i.windowWidth ?? (i.modality === 'CT' ? 400 : 256);
}

async function loadHeader() {
  const r = await fetch(`/header?uid=${current().sop}&format=text`, { credentials: 'same-origin' });
  header.textContent = r.ok ? await r.text() : `header not available (${r.status})`;
}

function slice(d) {
  const n = data.series[state.series].images.length;
  state.slice = Math.min(n - 1, Math.max(0, state.slice + d));
  state.frame = 0;
}

async function key(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  let handled = true;
  switch (k.length === 1 ? k.toUpperCase() : k) {
    case 'B':
      await startWindow();
      state.wc -= state.ww * 0.1;
      break;
    case 'D':
      await startWindow();
      state.wc += state.ww * 0.1;
      break;
    case 'L':
      await startWindow();
      state.ww *= 1.25;
      break;
    case 'H':
      await startWindow();
      state.ww = Math.max(1, state.ww / 1.25);
      break;
    case 'P':
      state.preset = (state.preset + 1) % PRESETS.length;
      [state.wc, state.ww] = PRESETS[state.preset];
      break;
    case 'A':
      state.wc = null;
      state.ww = null;
      state.preset = -1;
      break;
    case 'N':
      state.negative = !state.negative;
      break;
    case 'I':
      state.zoom = Math.min(16, state.zoom * 1.25);
      break;
    case 'O':
      state.zoom = Math.max(0.1, state.zoom / 1.25);
      break;
    case 'ArrowLeft':
      state.x -= 20;
      break;
    case 'ArrowRight':
      state.x += 20;
      break;
    case 'ArrowUp':
      state.y -= 20;
      break;
    case 'ArrowDown':
      state.y += 20;
      break;
    case 'U':
      state.frame = Math.max(0, state.frame - 1);
      break;
    case 'V': {
      const i = await info(current().sop);
      state.frame = Math.min((i.frames ?? current().frames) - 1, state.frame + 1);
      break;
    }
    case 'PageUp':
      slice(-1);
      break;
    case 'PageDown':
      slice(1);
      break;
    case 'Q':
      header.hidden = !header.hidden;
      break;
    default:
      handled = false;
  }
  if (handled) {
    e.preventDefault();
    await show();
  }
}

document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
  void key(e);
});
stage.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    slice(e.deltaY > 0 ? 1 : -1);
    void show();
  },
  { passive: false },
);
for (const b of document.querySelectorAll('[data-series]')) {
  b.addEventListener('click', () => {
    state.series = Number(b.dataset.series);
    state.slice = 0;
    state.frame = 0;
    void show();
    stage.focus();
  });
}
stage.focus();
void show();
