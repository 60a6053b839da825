/**
 * The few lines a person reads when the server starts (stdout, set apart
 * from the JSON log lines by blank lines): where everything is, where the API
 * key is, and what to do next. The first start also shows the default app's
 * key, once — printed only after every listener is up, so a start that fails
 * never shows a key.
 */
export interface BannerInput {
  httpUrl: string;
  wsUrl: string;
  /** where /docs and /metrics are served (the ops listener, or the HTTP URL) */
  opsUrl: string;
  tcpAddress: string;
  dataDir: string;
  /** the default app's credentials file (it may predate this start) */
  credentialsFile: string;
  /** whether the default app allows password registration now (undefined: there is no default app) */
  defaultRegistration?: boolean;
  /** first start only */
  newDefaultApp?: { app_id: string; api_key: string };
}

export function formatBanner(b: BannerInput): string {
  const lines = [
    '',
    'Parley is running',
    // "HTTP API <url>" and "WebSocket <url>" stay adjacent: the bench and scripts read the URLs from them.
    `  Web client  ${b.httpUrl}/`,
    `  HTTP API ${b.httpUrl}/   API docs ${b.opsUrl}/docs   metrics ${b.opsUrl}/metrics`,
    `  WebSocket ${b.wsUrl}   TCP ${b.tcpAddress}`,
    `  Data dir    ${b.dataDir}`,
  ];
  if (b.newDefaultApp) {
    lines.push(
      '',
      `  Created the app "${b.newDefaultApp.app_id}" on this first start.`,
      `  API key: ${b.newDefaultApp.api_key}`,
      `  (shown once; also stored in ${b.credentialsFile}, readable by you only)`,
    );
  } else {
    lines.push(`  API key of the default app: in ${b.credentialsFile}`);
  }
  if (b.defaultRegistration !== undefined) {
    lines.push(
      '',
      `  Password registration is ${b.defaultRegistration ? 'on' : 'off'} for the default app${b.defaultRegistration ? ' (for this quick start)' : ''};`,
      '  it starts off for apps made with `parley app create`; turn it on or off per app with',
      '  PATCH /v1/admin/settings {"allow_registration":true|false}',
    );
  }
  lines.push(
    '',
    'Next:',
    `  open ${b.httpUrl}/ and register a user, or create one as the business backend:`,
    `  curl -XPOST ${b.httpUrl}/v1/admin/users -H "Authorization: Bearer <API key>" \\`,
    `       -H 'content-type: application/json' -d '{"user_id":"alice","name":"Alice"}'`,
    '',
  );
  return lines.join('\n');
}
