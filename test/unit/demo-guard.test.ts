import { describe, expect, it } from 'vitest';
import { type DemoInputs, demoDecision } from '../../bin/demo-guard.js';

const SEARCHED = ['/srv/tfa-config.yaml', '/etc/traefik-forward-auth/config.yaml'];
const base: DemoInputs = {
  demoFlag: false,
  configFile: undefined,
  interactive: true,
  nodeEnv: undefined,
  bind: undefined,
  searched: SEARCHED,
};

describe('the demo never starts by accident', () => {
  it.each<[string, Partial<DemoInputs>, 'demo' | 'config']>([
    ['no config, interactive, not production', {}, 'demo'],
    ['no config, interactive, NODE_ENV=development', { nodeEnv: 'development' }, 'demo'],
    ['--demo, not interactive, production', { demoFlag: true, interactive: false, nodeEnv: 'production' }, 'demo'],
    ['--demo on loopback', { demoFlag: true, bind: '127.0.0.1' }, 'demo'],
    ['--demo on [::1]', { demoFlag: true, bind: '::1' }, 'demo'],
    ['a config file, not interactive', { configFile: '/srv/tfa-config.yaml', interactive: false }, 'config'],
    ['a config file, interactive', { configFile: '/srv/tfa-config.yaml' }, 'config'],
  ])('%s: %s', (_name, inputs, want) => {
    // Act
    const got = demoDecision({ ...base, ...inputs });

    // Assess
    expect(got).toBe(want);
  });

  it.each<[string, Partial<DemoInputs>, string]>([
    ['no config, not interactive (a service, a container)', { interactive: false }, 'not run from a terminal'],
    ['no config, interactive, NODE_ENV=production', { nodeEnv: 'production' }, 'NODE_ENV is production'],
  ])('refuses %s, naming the paths searched', (_name, inputs, why) => {
    // Act
    const got = demoDecision({ ...base, ...inputs });

    // Assess
    expect(got).toEqual({
      error:
        'No config file found (looked for TFA_CONFIG, then /srv/tfa-config.yaml, /etc/traefik-forward-auth/config.yaml). ' +
        `The demo starts on its own only interactively and outside production (${why}): pass --config <file>, or ` +
        '--demo to run the demo anyway.',
    });
  });

  it.each(['0.0.0.0', '::', '192.0.2.1', 'example.com'])('refuses to bind the demo to %s', (bind) => {
    // Act
    const got = demoDecision({ ...base, demoFlag: true, bind });

    // Assess
    expect(got).toEqual({
      error: expect.stringMatching(new RegExp(`^--bind ${bind.replace(/\./g, '\\.')}: .*loopback only`)),
    });
  });
});
