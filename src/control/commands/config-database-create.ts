/**
 * `dgate -esap d u p` / `--make_database:sap,d,u,p`: makes the index database and its login on the server
 * dicom.ini names (PostGres = 1 / MySQL = 1, SQLHost), with the administrator's password `sap`, then the
 * tables of dicom.sql in it as that login. Harmless when they exist. With SQLite: the database file and its
 * tables (no logins); with the NULL driver: nothing to make.
 */
import { indexConnection } from '../../archive/archive.js';
import { createIndexDatabase } from '../../db/create-database.js';
import { openIndexDatabase } from '../../db/open-index.js';
import { UsageError } from '../arguments.js';
import type { CommandContext } from '../context.js';
import { dicomSqlOf } from './config-lists.js';

export async function makeDatabaseCommand(args: string, ctx: CommandContext): Promise<void> {
  const [sap = '', database = '', user = '', password = ''] = args.split(',');
  const out = (line: string) => ctx.stdout.write(`${line}\n`);
  const config = ctx.config();
  const s = config.server;
  if (s.databaseDriver === 'null') {
    out('SQLServer is empty: the NULL driver has no database to make');
    return;
  }
  if (s.databaseDriver === 'dbase')
    throw new UsageError('the built-in dBase III driver is not in this version');
  const connection = indexConnection(config);
  if (connection.kind === 'postgres' || connection.kind === 'mysql') {
    if (!database || !user)
      throw new UsageError(
        '-esap d u p: give the administrator password, the database, the user and its password',
      );
    for (const line of await createIndexDatabase({
      kind: connection.kind,
      host: connection.host,
      adminPassword: sap,
      database,
      user,
      password,
    }))
      out(line);
    connection.database = database;
    connection.user = user;
    connection.password = password;
  }
  const index = await openIndexDatabase({
    connection,
    dicomSql: dicomSqlOf(config),
    schemaOptions: { truncateFieldNames: s.truncateFieldNames, maxFieldLength: s.maxFieldLength },
  });
  try {
    out(`${index.created ? 'created the tables of dicom.sql in' : 'tables present in'} ${index.file}`);
    if (index.schemaChanged) out(`*** ${index.schemaChanged.message}`);
  } finally {
    await index.driver.close();
  }
  if (connection.kind !== 'sqlite' && (database !== s.sqlServer || user !== s.username))
    out(`set SQLServer = ${database}, Username = ${user} and Password in dicom.ini to use it`);
}
