// P5b's reference bundle: a Lambda function that only creates a DynamoDB client and sends one GetItem.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});

export const handler = () =>
  client.send(
    new GetItemCommand({ TableName: process.env.TFA_TABLE_NAME, Key: { pk: { S: 's#none' } }, ConsistentRead: true }),
  );
