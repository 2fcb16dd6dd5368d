// Under the secure profile, the applications' logins for real-client drivers and subscribers: their ACL user, its
// password (the ACL Secret's, current at start; the drivers get its file where the target has one) and their client certificate (paths). Never printed.
import { APP_USERS, type AppName } from '../config/secure.ts';
import { HarnessError } from '../errors.ts';
import type { StartedDeployment } from '../targets/target.ts';
import type { DriverLogin } from './drivers/driver.ts';

/** An application's login under the secure profile. Never printed. */
export interface AppLogin extends DriverLogin {
  password: string;
}

/** The deployment's application logins, or null when it has no ACL users (every profile but secure). */
export function appLogins(d: StartedDeployment): ((app: AppName) => AppLogin) | null {
  const creds = d.credentials;
  if (!d.model.security?.acl || !creds) return null;
  return (app) => {
    const password = creds.acl[app];
    if (!password) throw new HarnessError('ABILITY_MISSING', `the ${d.target} target gave no password for the ACL user ${app}`);
    const cert = creds.tls?.clients[app];
    const passwordFile = creds.aclFiles?.[app];
    return {
      username: app,
      password,
      tls: creds.tls && cert ? { ca: creds.tls.ca, cert: cert.cert, key: cert.key } : null,
      ...(passwordFile ? { passwordFile } : {}),
    };
  };
}

/** What a driver is given of a login: the user, the files; the password itself only where there is no file. */
export const driverLogin = (l: AppLogin): DriverLogin => ({ username: l.username, tls: l.tls, ...(l.passwordFile ? { passwordFile: l.passwordFile } : {}) });

/** An application's key prefix under its ACL user's key pattern (`~synapse:*` gives "synapse:"). */
export const appKeyPrefix = (app: AppName): string => APP_USERS[app].keys.replace(/\*$/, '');
