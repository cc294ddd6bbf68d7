// What a caller may do, in rising order: each role has every right of the ones before it. A device token
// says its role (today's tokens, which say none, are "predict"); the server checks it before any work,
// and /api/config tells the app, so that it offers only what the caller may do.
//
// Runtime-agnostic: the server checks roles, the app reads them.

export const ROLES = ['predict', 'contribute', 'manage'] as const;
export type Role = (typeof ROLES)[number];

/** What each role adds, for people (a 403 says what the role needed would have allowed). */
export const ROLE_RIGHTS: Readonly<Record<Role, string>> = {
  predict: 'ask for predictions',
  contribute: 'also upload, tag and annotate training images, and read tags and images',
  manage: 'also train, publish, delete images and export iterations',
};

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** Whether a caller with role `held` may do what `needed` allows. */
export const roleAllows = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

/** The roles a caller with role `held` has the rights of, lowest first. */
export const rolesWithin = (held: Role): Role[] => ROLES.filter((role) => roleAllows(held, role));
