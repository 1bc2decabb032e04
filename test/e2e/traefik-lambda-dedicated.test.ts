/**
 * Real Traefik → the built Lambda bundles behind the local AWS front doors, dedicated sub-domain mode (browsers sign in on
 * the HTTP API's custom domain). See harness/traefik-lambda.ts.
 */
import { traefikLambdaSuite } from './harness/traefik-lambda.js';

traefikLambdaSuite('dedicated');
