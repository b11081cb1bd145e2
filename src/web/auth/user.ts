/**
 * Who is asking: set on every request by the auth plugin (session cookie, HTTP Basic or a bearer token, or
 * the anonymous role when dicom.ini allows one), read by `requireRole` on every route.
 */
export type WebRole = 'viewer' | 'operator' | 'admin';

/** Roles in increasing power: an operator may do what a viewer may, an admin everything. */
export const ROLE_ORDER: readonly WebRole[] = ['viewer', 'operator', 'admin'];

export interface WebUser {
  readonly name: string;
  readonly role: WebRole;
  /** How the user was recognised (a state-changing request by cookie needs a CSRF token). */
  readonly via: 'session' | 'basic' | 'bearer' | 'anonymous';
}

export function roleAtLeast(role: WebRole, needed: WebRole): boolean {
  return ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(needed);
}

declare module 'fastify' {
  interface FastifyRequest {
    webUser?: WebUser;
  }
}
