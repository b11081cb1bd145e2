/** What every dgate command receives: where it runs, where it writes, and the switches that apply to it. */
import type { Logger } from '../logging/logger.js';

export interface CommandContext {
  /** Working directory (-w), where dicom.ini and the other files are. */
  dir: string;
  /** -h: this node's AE title, overriding MyACRNema. */
  aeTitle: string | undefined;
  /** -p: this node's port, overriding TCPPort (for `(local)`). */
  port?: number | undefined;
  stdout: NodeJS.WritableStream;
  log: Logger;
}
