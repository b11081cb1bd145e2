/**
 * Verification Service Class, SCP role (PS3.4 Annex A): C-ECHO is answered with success.
 */
import { Status } from '../net/dimse/status.js';
import type { ServiceRequest } from '../net/server.js';

export async function verificationScp(req: ServiceRequest): Promise<void> {
  req.log.debug(`C-ECHO from ${req.association.callingAETitle}`, 1);
  await req.respond({ status: Status.Success });
}
