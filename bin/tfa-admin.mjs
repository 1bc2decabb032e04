#!/usr/bin/env node
// `npx tfa-admin …` inside the repo: runs bin/admin.ts through tsx, as `npm start` runs the server.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./admin.ts');
await main();
