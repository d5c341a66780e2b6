import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WolkvoxHostNotFoundError, WolkvoxResponseError, WolkvoxTimeoutError, WolkvoxTransportError } from '../../lambda/domain/errors.ts';
import { windowAt } from '../../lambda/domain/window.ts';
import { parseWall } from '../../lambda/domain/wall-clock.ts';
import { createCdr4Client, type HttpGet } from '../../lambda/wolkvox/cdr4-client.ts';
import { staticToken } from '../../lambda/wolkvox/token-provider.ts';

const TOKEN = 'tok-CLIENT-9a8b7c6d5e';
const w = windowAt(parseWall('2026-11-20 08:00')!, 'America/Bogota');

describe('Function: createCdr4Client', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
  });

  async function serve(handler: (url: URL, headers: IncomingHttpHeaders, res: import('node:http').ServerResponse) => void): Promise<string> {
    server = createServer((req, res) => handler(new URL(req.url!, 'http://x'), req.headers, res));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  it('sends the token in the wolkvox-token header and the window as inclusive dates when fetching', async () => {
    // Prepare
    let seen: { url?: URL; headers?: IncomingHttpHeaders } = {};
    const origin = await serve((url, headers, res) => {
      seen = { url, headers };
      res.end('{"code":200}');
    });

    // Act
    const answer = await createCdr4Client({ baseUrl: origin, server: '0032', token: staticToken(TOKEN) }).fetchWindow(w, 2_000);

    // Assess
    expect(answer.status).toBe(200);
    expect(seen.url?.pathname).toBe('/api/v2/reports_manager.php');
    expect(Object.fromEntries(seen.url!.searchParams)).toEqual({ api: 'cdr_4', date_ini: '20261120080000', date_end: '20261120080459' });
    expect(seen.headers?.['wolkvox-token']).toBe(TOKEN);
    expect(seen.headers?.['wolkvox_server']).toBe('0032');
    expect(seen.url!.href).not.toContain(TOKEN);
  });

  it('throws a retryable WolkvoxTransportError without the token when the server never answers', async () => {
    // Prepare
    const origin = await serve(() => {});

    // Act
    const error = await createCdr4Client({ baseUrl: origin, server: '0032', token: staticToken(TOKEN) })
      .fetchWindow(w, 300)
      .then(() => undefined, (e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(WolkvoxTransportError);
    expect((error as WolkvoxTransportError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/^Wolkvox 127\.0\.0\.1:\d+ gave no answer within 300 ms$/);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });

  it('throws a WolkvoxTransportError naming the code when the connection is refused', async () => {
    // Prepare: a port that was just freed.
    const origin = await serve(() => {});
    await new Promise((r) => server!.close(r));
    server = undefined;

    // Act
    const error = await createCdr4Client({ baseUrl: origin, server: '0032', token: staticToken(TOKEN) })
      .fetchWindow(w, 2_000)
      .then(() => undefined, (e: unknown) => e as Error);

    // Assess
    expect(error).toBeInstanceOf(WolkvoxTransportError);
    expect(error?.message).toContain('ECONNREFUSED');
    expect(error?.message).toContain(new URL(origin).host);
  });

  it('throws a non-retryable error naming the host and the variables when the host name does not resolve', async () => {
    // Prepare: the request fails as node:http's does for an unknown host (no DNS query leaves the machine).
    const notFound: HttpGet = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND wv0O32.wolkvox.com'), { code: 'ENOTFOUND', syscall: 'getaddrinfo' });
    };

    // Act
    const error = await createCdr4Client({ baseUrl: 'https://wv0O32.wolkvox.com', server: '0O32', token: staticToken(TOKEN), get: notFound })
      .fetchWindow(w, 2_000)
      .then(() => undefined, (e: unknown) => e as Error);

    // Assess
    expect(error).toBeInstanceOf(WolkvoxHostNotFoundError);
    expect((error as WolkvoxHostNotFoundError).retryable).toBe(false);
    expect(error?.message).toBe('Wolkvox host wv0o32.wolkvox.com not found (ENOTFOUND): check WOLKVOX_SERVER and WOLKVOX_BASE_URL');
  });

  it('refuses to follow a redirect when the server sends one', async () => {
    // Prepare: a redirect could carry the token header to another host.
    const origin = await serve((_u, _h, res) => {
      res.writeHead(302, { location: 'http://127.0.0.2:1/steal' });
      res.end();
    });

    // Act
    const error = await createCdr4Client({ baseUrl: origin, server: '0032', token: staticToken(TOKEN) })
      .fetchWindow(w, 2_000)
      .then(() => undefined, (e: unknown) => e as Error);

    // Assess
    expect(error).toBeInstanceOf(WolkvoxTransportError);
    expect(error?.message).toMatch(/^Wolkvox 127\.0\.0\.1:\d+ answered with a redirect \(HTTP 302\), which is not followed/);
  });

  it('throws a non-retryable WolkvoxResponseError when an answer is over 8 MiB, declared or streamed', async () => {
    // Prepare: one answer says its length, the other streams without one
    const big = Buffer.alloc(9 * 1024 * 1024, 0x20);
    const origin = await serve((url, _h, res) => {
      if (url.searchParams.get('date_ini') === '20261120080000') {
        res.writeHead(200, { 'content-length': big.length });
        res.end(big);
      } else {
        res.writeHead(200);
        for (let i = 0; i < 9; i += 1) res.write(big.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
        res.end();
      }
    });
    const client = createCdr4Client({ baseUrl: origin, server: '0032', token: staticToken(TOKEN) });

    // Act
    const declared = await client.fetchWindow(w, 5_000).then(() => undefined, (e: unknown) => e as Error);
    const streamed = await client.fetchWindow(windowAt(parseWall('2026-11-20 08:05')!, 'America/Bogota'), 5_000).then(() => undefined, (e: unknown) => e as Error);

    // Assess
    expect(declared).toBeInstanceOf(WolkvoxResponseError);
    expect((declared as WolkvoxResponseError).retryable).toBe(false);
    expect(declared?.message).toBe(`Wolkvox answer of ${big.length} bytes is too large for a cdr_4 report`);
    expect(streamed).toBeInstanceOf(WolkvoxResponseError);
    expect(streamed?.message).toMatch(/^Wolkvox answer of \d+ bytes is too large for a cdr_4 report$/);
  });

  it('throws a WolkvoxTimeoutError when the server stalls in the middle of the body', async () => {
    // Prepare: headers and half a body, then nothing
    const origin = await serve((_u, _h, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('{"code":200,');
    });

    // Act
    const error = await createCdr4Client({ baseUrl: origin, server: '0032', token: staticToken(TOKEN) })
      .fetchWindow(w, 300)
      .then(() => undefined, (e: unknown) => e as Error);

    // Assess
    expect(error).toBeInstanceOf(WolkvoxTimeoutError);
    expect(error?.message).toMatch(/gave no answer within 300 ms$/);
  });

  it('reuses one connection for the calls of a run when the server keeps it alive', async () => {
    // Prepare: count the connections the server accepts
    const origin = await serve((_u, _h, res) => res.end('{"code":200}'));
    let connections = 0;
    server!.on('connection', () => (connections += 1));
    const client = createCdr4Client({ baseUrl: origin, server: '0032', token: staticToken(TOKEN) });

    // Act
    for (let i = 0; i < 3; i += 1) await client.fetchWindow(w, 2_000);

    // Assess
    expect(connections).toBe(1);
  });
});
