import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Managed, startProcess } from './processes.js';
import { renderRecipe } from './recipes.js';

export interface RunningProxy {
  proc: Managed;
  /** The generated config files, by name (for failure messages). */
  files: Record<string, string>;
  stop(): Promise<void>;
}

/** A private temp dir that a proxy's unprivileged worker processes can still traverse. */
function proxyDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Real Caddy (Debian 2.6.2) running a recipe from docs/recipes. Only a test-only global block is prepended: no admin
 * endpoint, no automatic HTTPS (the suite speaks plain HTTP on loopback), every site bound to 127.0.0.1.
 */
export async function startCaddy(
  recipe: string,
  values: Record<string, string | number>,
  port: number,
  /** A documented variation of the recipe (e.g. an option left out); the recipe as is by default. */
  edit: (caddyfile: string) => string = (c) => c,
) {
  const dir = proxyDir('tfa-e2e-caddy-');
  const caddyfile = `{\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n}\n\n${edit(renderRecipe(recipe, values))}`;
  const config = join(dir, 'Caddyfile');
  writeFileSync(config, caddyfile);
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
  const proc = await startProcess('caddy', 'caddy', ['run', '--config', config, '--adapter', 'caddyfile'], {
    cwd: dir,
    env,
    readyPort: port,
  });
  return running(proc, dir, { Caddyfile: caddyfile });
}

/**
 * Real nginx (Debian 1.22) running the docs/recipes/nginx.conf server blocks, included from a test-only main config
 * that keeps the pid file, logs and temp paths in a temp dir and stays in the foreground.
 */
export async function startNginx(recipe: string, values: Record<string, string | number>, port: number) {
  const dir = proxyDir('tfa-e2e-nginx-');
  const site = renderRecipe(recipe, values);
  writeFileSync(join(dir, 'tfa.conf'), site);
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, t));
  const main = `worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/tfa.conf;
}
`;
  writeFileSync(join(dir, 'nginx.conf'), main);
  const proc = await startProcess('nginx', 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    cwd: dir,
    readyPort: port,
  });
  return running(proc, dir, { 'nginx.conf': main, 'tfa.conf': site });
}

function running(proc: Managed, dir: string, files: Record<string, string>): RunningProxy {
  return {
    proc,
    files,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
