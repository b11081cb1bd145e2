/**
 * `requireRole(role)`: the preHandler every route declares. 401 without a user (with a Basic challenge for
 * DICOMweb clients, a redirect to the login page for pages), 403 when the role is too low, and 403 for any
 * write when dicom.ini says WEBReadOnly.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { roleAtLeast, type WebRole } from './user.js';

export interface GuardOptions {
  /** The route changes something (store, delete, send, edit): refused under WEBReadOnly. */
  writes?: boolean;
  /** Answer 401 with a redirect to /login (pages) instead of a Basic challenge (APIs). */
  page?: boolean;
}

/** Marks the preHandlers made by requireRole: the auth plugin checks at registration that every route has one. */
export const GUARD = Symbol.for('conquest-ts.web.guard');

export type Guard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & { [GUARD]?: WebRole };

export function requireRole(role: WebRole, options: GuardOptions = {}): Guard {
  const guard: Guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const user = request.webUser;
    if (!user) {
      if (options.page) {
        await reply.redirect(`/login?next=${encodeURIComponent(request.url)}`);
        return;
      }
      await reply
        .code(401)
        .header('WWW-Authenticate', 'Basic realm="Conquest TS", charset="UTF-8"')
        .send({ error: 'authentication required' });
      return;
    }
    if (!roleAtLeast(user.role, role)) {
      await reply.code(403).send({ error: `this needs the ${role} role; ${user.name} is ${user.role}` });
      return;
    }
    if (options.writes && request.server.webReadOnly) {
      await reply.code(403).send({ error: 'the web interface is read-only (WEBReadOnly = 1)' });
    }
  };
  guard[GUARD] = role;
  return guard;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** dicom.ini WEBReadOnly, read at start. */
    webReadOnly: boolean;
  }
}
