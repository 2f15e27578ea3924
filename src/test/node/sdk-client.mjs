// One scenario of the official TypeScript SDK against the proxy, run by TypeScriptSdkIT.
// Usage: node sdk-client.mjs <scenario>; reads CREDDY_BASE_URL and CREDDY_TOKEN; prints one JSON line.
import Anthropic from '@anthropic-ai/sdk';

const baseURL = process.env.CREDDY_BASE_URL;
const token = process.env.CREDDY_TOKEN;
const hello = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] };

/** A fetch that counts the requests the SDK makes, retries included. */
function countingFetch() {
  const counted = async (url, init) => {
    counted.calls += 1;
    return fetch(url, init);
  };
  counted.calls = 0;
  return counted;
}

function text(message) {
  return message.content.filter((block) => block.type === 'text').map((block) => block.text).join('');
}

const scenarios = {
  async 'message-api-key'() {
    const client = new Anthropic({ baseURL, apiKey: token, maxRetries: 0 });
    const { data, response } = await client.messages.create(hello).withResponse();
    return { text: text(data), id: data.id, requestId: response.headers.get('request-id') };
  },

  async 'message-auth-token'() {
    const client = new Anthropic({ baseURL, authToken: token, maxRetries: 0 });
    const message = await client.messages.create(hello);
    return { text: text(message), requestId: message._request_id };
  },

  async stream() {
    const client = new Anthropic({ baseURL, apiKey: token, maxRetries: 0 });
    const events = [];
    let streamed = '';
    const stream = await client.messages.create({ ...hello, stream: true });
    for await (const event of stream) {
      events.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        streamed += event.delta.text;
      }
    }
    return { text: streamed, events };
  },

  async refused() {
    const counting = countingFetch();
    const client = new Anthropic({ baseURL, apiKey: token, maxRetries: 2, fetch: counting });
    const started = Date.now();
    try {
      await client.messages.create(hello);
      return { error: 'the request succeeded' };
    } catch (error) {
      return {
        errorClass: error.constructor.name,
        status: error.status,
        type: error.error?.error?.type,
        shouldRetry: error.headers?.get('x-should-retry'),
        calls: counting.calls,
        elapsedMs: Date.now() - started,
      };
    }
  },

  async 'batch-results'() {
    const client = new Anthropic({ baseURL, apiKey: token, maxRetries: 0 });
    const id = process.argv[3];
    const batch = await client.messages.batches.retrieve(id);
    const customIds = [];
    // results() GETs the batch's results_url as it is, past the base URL.
    for await (const line of await client.messages.batches.results(id)) {
      customIds.push(line.custom_id);
    }
    return { resultsUrl: batch.results_url, status: batch.processing_status, count: customIds.length, first: customIds[0] };
  },
};

const scenario = scenarios[process.argv[2]];
if (!scenario) {
  console.error(`unknown scenario ${process.argv[2]}; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await scenario()));
} catch (error) {
  console.error(`${error.constructor.name}: ${error.message}`);
  process.exit(1);
}
