import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { stringify } from 'yaml';

/** Writes a tfa-config.yaml into a fresh temporary directory and returns its path. */
export function writeConfig(config: unknown, dir = mkdtempSync(join(tmpdir(), 'tfa-infra-'))): string {
  const file = join(dir, 'tfa-config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** Every file under a directory (a synthesized cloud assembly), recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Files under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  return filesUnder(dir).filter((f) => readFileSync(f).includes(needle));
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of every IAM policy attached to the role whose logical id starts with `rolePrefix`. */
export function roleStatements(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap((p) => {
    const props = p.Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
    return props.Roles.some((r) => r.Ref.startsWith(rolePrefix)) ? props.PolicyDocument.Statement : [];
  });
}

/** The actions of a list of statements, flattened. */
export function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** Joins an `Fn::Join` the way CloudFormation would, with `{Ref|GetAtt}` rendered by `render`. */
export function joinValue(value: unknown, render: (ref: unknown) => string = (r) => `<${JSON.stringify(r)}>`): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((p) => joinValue(p, render)).join(sep);
  }
  return render(value);
}
