import { ValidationError } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * CDK's own `ValidationError` for props that cannot deploy: the CLI reports it as a validation error attached to the
 * construct's path, and `Errors.isValidationError` recognises it. aws-cdk-lib exports the class, but types its name
 * as a branded literal (its `lit` helper is private), hence the cast; the message is ours, unchanged.
 */
export function validationError(name: string, message: string, scope: IConstruct): Error {
  return new ValidationError(name as ConstructorParameters<typeof ValidationError>[0], message, scope);
}
