import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { providerCallbacks } from '../shared/config/callback-urls.js';
import { ForwardAuth, type ForwardAuthProps } from './forward-auth.js';

export interface ForwardAuthStackProps extends StackProps, ForwardAuthProps {
  /**
   * ARN of an existing SNS topic for the limit alarms (the stage key `alarmTopicArn`); `alarmTopic` wins when both
   * are set.
   * @default - no notification
   */
  readonly alarmTopicArn?: string;
}

/** One deployment of Traefik Forward Auth, with everything an operator needs next printed as outputs. */
export class ForwardAuthStack extends Stack {
  readonly forwardAuth: ForwardAuth;

  constructor(scope: Construct, id: string, props: ForwardAuthStackProps) {
    super(scope, id, props);
    const alarmTopic =
      props.alarmTopic ??
      (props.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : undefined);
    const fa = new ForwardAuth(this, 'ForwardAuth', { ...props, alarmTopic });
    this.forwardAuth = fa;
    const out = (key: string, value: string, description: string) => new CfnOutput(this, key, { value, description });

    out('CallbackUrls', fa.callbackUrls().join(' '), 'Callback URL(s) to register with the OIDC client in Pocket ID');
    for (const [i, cb] of providerCallbacks(fa.config).entries()) {
      out(
        `ProviderCallbackUrls${i + 1}`,
        cb.urls.join(' '),
        `Register as redirect URI(s) at ${cb.displayName} (portal '${cb.portal}', provider '${cb.provider}')`,
      );
      if (cb.postLogoutUrls.length > 0)
        out(
          `ProviderPostLogoutUrls${i + 1}`,
          cb.postLogoutUrls.join(' '),
          `Register as post-logout redirect URI(s) at ${cb.displayName} (Pocket ID: Logout Callback URLs; portal '${cb.portal}', provider '${cb.provider}')`,
        );
      if (cb.backchannelLogoutUrls.length > 0)
        out(
          `ProviderBackchannelLogoutUrls${i + 1}`,
          cb.backchannelLogoutUrls.join(' '),
          `Register as back-channel logout URI at ${cb.displayName} (OpenID Connect Back-Channel Logout; portal '${cb.portal}', provider '${cb.provider}')`,
        );
    }
    out('VerifyFunctionUrls', fa.checkUrls(fa.verifyUrl.url).join(' '), 'Forward-auth check through the Function URL');
    const apiBase = props.domainName ? `https://${props.domainName}/` : fa.stage.url;
    out('VerifyApiUrls', fa.checkUrls(apiBase).join(' '), 'Forward-auth check through the HTTP API');
    out('ApiUrl', fa.stage.url, 'HTTP API default stage');
    out(
      'TraefikMiddleware',
      fa.traefikMiddleware(),
      'Traefik dynamic configuration (YAML) with one forwardAuth middleware per portal',
    );
    out('TableName', fa.table.tableName, 'Sessions and login states');
    if (fa.dashboard)
      out(
        'DashboardUrl',
        `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${fa.dashboard.dashboardName}`,
        'CloudWatch dashboard: requests, decisions, latency, cold starts, throttles, logins',
      );
    if (fa.domain && !props.hostedZoneId)
      out('ApiDomainTarget', fa.domain.regionalDomainName, `Point ${props.domainName} at this name (CNAME or alias)`);

    for (const [i, { portal, provider, secret }] of fa.createdSecrets.entries())
      out(
        `PutSecretCommand${i + 1}`,
        `aws secretsmanager put-secret-value --region ${this.region} --secret-id ${secret.secretArn} --secret-string "$CLIENT_SECRET"`,
        `Stores the client secret of provider '${provider}' in portal '${portal}' (set CLIENT_SECRET first, e.g. read -rs CLIENT_SECRET)`,
      );
    out(
      'CallbackRoleArn',
      fa.roles.callback.roleArn,
      'The only role that reads client secrets: name it in the policies of a secret and KMS key in another account',
    );
    if (fa.webIdentityAudiences.length > 0) {
      out(
        'WebIdentitySubject',
        fa.roles.callback.roleArn,
        'Pocket ID federated credential: subject (the callback role)',
      );
      out('WebIdentityAudiences', fa.webIdentityAudiences.join(' '), 'Pocket ID federated credential: audience');
      if (fa.webIdentityIssuer)
        out('WebIdentityIssuer', fa.webIdentityIssuer, 'Pocket ID federated credential: issuer (this account)');
      out(
        'WebIdentityIssuerCommand',
        `aws iam get-outbound-web-identity-federation-info --region ${this.region}`,
        'Prints the account issuer URL for the Pocket ID federated credential (enable it once with enable-outbound-web-identity-federation)',
      );
    }
  }
}
