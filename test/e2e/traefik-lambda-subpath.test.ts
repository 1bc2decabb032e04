/**
 * Real Traefik → the built Lambda bundles behind the local AWS front doors, sub-path mode (the /auth pages through a Traefik
 * router to the HTTP API). See harness/traefik-lambda.ts.
 */
import { traefikLambdaSuite } from './harness/traefik-lambda.js';

traefikLambdaSuite('subpath');
