import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { modelDir } from '../model/fixtures.js';

/** A running stand-in for the Hugging Face Hub, and the requests it was asked. */
export interface HubStandIn {
  /** `METHOD /path` of every request, in order. */
  requests: string[];
  /** Stops the server and gives transformers.js its settings back. */
  close(): Promise<void>;
}

/**
 * Starts a local server that answers `/test-org/{model}/resolve/{main|v1}/{file}` as huggingface.co
 * does (401 for a repository it does not have, 404 for a missing file), serving the committed test
 * models, and points transformers.js at it through its own `env.remoteHost` (the setting a user
 * behind a mirror changes too), with downloads into a new cache folder: everything else is the code
 * that real downloads run. `statuses` forces an answer for every file of a model (503, say).
 */
export async function startHubStandIn(statuses: Readonly<Record<string, number>> = {}): Promise<HubStandIn> {
  const requests: string[] = [];
  const saved = { remoteHost: env.remoteHost, allowRemoteModels: env.allowRemoteModels, cacheDir: env.cacheDir };
  const cacheDir = mkdtempSync(join(tmpdir(), 'hub-default-cache-'));
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://hub').pathname);
    requests.push(`${request.method} ${path}`);
    const match = /^\/test-org\/([^/]+)\/resolve\/(main|v1)\/(.+)$/.exec(path);
    const forced = match ? statuses[match[1]!] : undefined;
    if (forced !== undefined) {
      response.writeHead(forced).end();
      return;
    }
    // The Hub answers an anonymous request for a repository it does not have as for a private one.
    if (!match || !existsSync(modelDir(match[1]!))) {
      response.writeHead(401).end('Invalid credentials in Authorization header');
      return;
    }
    const file = join(modelDir(match[1]!), match[3]!);
    if (!existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('Entry not found');
      return;
    }
    response.writeHead(200, { 'content-length': statSync(file).size, 'content-type': 'application/octet-stream' });
    if (request.method === 'HEAD') response.end();
    else createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env.remoteHost = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  env.allowRemoteModels = true;
  env.cacheDir = cacheDir;
  return {
    requests,
    async close() {
      Object.assign(env, saved);
      await new Promise((resolve) => server.close(resolve));
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}
