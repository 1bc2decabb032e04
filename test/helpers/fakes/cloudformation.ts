import { type FakeReply, HttpFake, type RecordedRequest } from './http-fake.js';

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/**
 * A fake AWS CloudFormation speaking what `@aws-sdk/client-cloudformation` sends: the **AWS Query protocol**
 * (`POST /`, form body with `Action=DescribeStacks&StackName=…&Version=2010-05-15`, XML answers; errors are 400 with
 * an `<ErrorResponse>`). It implements DescribeStacks for the stacks and outputs a test registers.
 *
 * Point the SDK at it with `AWS_ENDPOINT_URL_CLOUDFORMATION=<url>`; it does not check signatures.
 */
export class FakeCloudFormation extends HttpFake {
  private readonly stacks = new Map<string, Record<string, string>>();

  /** Registers a deployed stack and its outputs. */
  putStack(name: string, outputs: Record<string, string>): void {
    this.stacks.set(name, outputs);
  }

  protected handle(req: RecordedRequest): FakeReply {
    const form = new URLSearchParams(req.body);
    if (form.get('Action') !== 'DescribeStacks')
      return error('InvalidAction', `unsupported action ${form.get('Action')}`);
    const name = form.get('StackName') ?? '';
    const outputs = this.stacks.get(name);
    if (!outputs) return error('ValidationError', `Stack with id ${name} does not exist`);
    const members = Object.entries(outputs)
      .map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`)
      .join('');
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<DescribeStacksResponse xmlns="${NS}"><DescribeStacksResult><Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:eu-west-1:111111111111:stack/${name}/1</StackId><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    };
  }
}

function error(code: string, message: string): FakeReply {
  return {
    status: 400,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
  };
}
