// A real git smart-HTTP server: node's http server on 127.0.0.1 running `git http-backend`
// as CGI over the bare repos in one folder (push enabled). Runs as its own process so the
// tests can drive the CLI synchronously. Prints the base URL on stdout once listening.
// Usage: node git-http-server.mjs ROOT [USER:PASSWORD|-] [CUT_AFTER_BYTES]
// With CUT_AFTER_BYTES, the first push (POST git-receive-pack) is cut off: after that many
// bytes of its body reach git, the connection is dropped and git is killed mid-pack.
// GET /__stats answers {"cuts": N, "cutAt": BYTES} so a test can prove the cut happened.
import { spawn } from 'node:child_process';
import * as http from 'node:http';

const root = process.argv[2];
const creds = process.argv[3] && process.argv[3] !== '-' ? process.argv[3] : undefined;
const cutAfter = process.argv[4] ? Number(process.argv[4]) : undefined;
const stats = { cuts: 0, cutAt: 0 };
const server = http.createServer((req, res) => {
  if (req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (creds) {
    const expected = `Basic ${Buffer.from(creds).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end();
      return;
    }
  }
  const u = new URL(req.url ?? '/', 'http://127.0.0.1');
  const env = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: root,
    PATH_INFO: decodeURIComponent(u.pathname),
    QUERY_STRING: u.search.slice(1),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: 'test',
    REMOTE_ADDR: '127.0.0.1',
    GIT_HTTP_MAX_REQUEST_BUFFER: '1000M',
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
  const cgi = spawn('git', ['-c', 'http.receivepack=true', 'http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  cgi.stdin.on('error', () => {});
  if (cutAfter !== undefined && stats.cuts === 0 && req.method === 'POST' && u.pathname.endsWith('/git-receive-pack')) {
    let seen = 0;
    req.on('data', (chunk) => {
      if (stats.cuts > 0) return;
      const room = cutAfter - seen;
      cgi.stdin.write(chunk.subarray(0, Math.max(0, room)));
      seen += chunk.length;
      if (seen < cutAfter) return;
      stats.cuts++;
      stats.cutAt = cutAfter;
      cgi.kill('SIGKILL');
      // Answer first, then drop: a connection that dies before any answer is retried on a
      // fresh one by curl (git's HTTP client), and the fault would not reach the caller.
      res.writeHead(200, { 'content-type': 'application/x-git-receive-pack-result' });
      res.flushHeaders();
      setTimeout(() => req.socket.destroy(), 20);
    });
    req.on('end', () => { if (stats.cuts === 0) cgi.stdin.end(); });
    // The body was shorter than the cut: the fault did not happen, and /__stats says so.
  } else {
    req.pipe(cgi.stdin);
  }
  let head = Buffer.alloc(0);
  let headersDone = false;
  cgi.stdout.on('data', (chunk) => {
    // a cut push was answered already: what the killed backend had written before is dropped
    // (under load it could arrive after the cut's answer, and writing headers twice threw)
    if (!headersDone && res.headersSent) return;
    if (headersDone) { res.write(chunk); return; }
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (end < 0) { end = head.indexOf('\n\n'); sepLen = 2; }
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    const headers = {};
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
      else headers[k] = v;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + sepLen));
  });
  cgi.on('close', () => {
    if (!headersDone && !res.headersSent) res.writeHead(500);
    res.end();
  });
  cgi.on('error', () => { if (!res.headersSent) res.writeHead(500); res.end(); });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
