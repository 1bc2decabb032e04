// Imported first by bench/run.ts: the SDK reads this when it loads.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
