// The official OpenAI Node SDK, used as its README shows, against every provider.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
  API_KEY, BASE_URL, PROVIDERS,
  assertCityFacts, assertGatewayExtensions, cityFactsSchema, weatherTool,
} from '../support/gateway.mjs';

const client = new OpenAI({ baseURL: BASE_URL, apiKey: API_KEY, maxRetries: 0 });

describe('openai-node chat.completions', () => {
  for (const { model, provider } of PROVIDERS) {
    test(`create on ${provider}`, async () => {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Explain quantum computing' }],
        max_tokens: 100,
      });
      assert.equal(completion.object, 'chat.completion');
      assert.match(completion.choices[0].message.content, /quantum computing/);
      assert.equal(completion.choices[0].finish_reason, 'stop');
      assertGatewayExtensions(completion, provider);
    });

    test(`stream on ${provider}`, async () => {
      const stream = await client.chat.completions.create({
        model, messages: [{ role: 'user', content: 'Write a story about a lighthouse' }], stream: true,
      });
      let text = '';
      let finish = null;
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'chat.completion.chunk');
        text += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.match(text, /lighthouse/);
      assert.equal(finish, 'stop');
    });

    test(`stream with include_usage on ${provider} ends with OpenAI's usage chunk`, async () => {
      const stream = await client.chat.completions.create({
        model, messages: [{ role: 'user', content: 'Count the waves' }], stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
      }
      const last = chunks.at(-1);
      assert.deepEqual(last.choices, []);
      assert.ok(last.usage.total_tokens > 0, JSON.stringify(last));
    });

    for (const includeUsage of [false, true]) {
      test(`the SDK's stream helper rebuilds the completion on ${provider}, include_usage ${includeUsage}`, async () => {
        const params = { model, messages: [{ role: 'user', content: 'Describe the sea' }], stream: true };
        if (includeUsage) {
          params.stream_options = { include_usage: true };
        }
        const runner = client.chat.completions.stream(params);
        const completion = await runner.finalChatCompletion();
        assert.match(completion.choices[0].message.content, /Describe the sea/);
        assert.equal(completion.choices[0].finish_reason, 'stop');
        if (includeUsage) {
          assert.ok(completion.usage.total_tokens > 0, JSON.stringify(completion.usage));
        }
      });
    }

    test(`tool round trip on ${provider} replays the assistant message as returned`, async () => {
      const messages = [{ role: 'user', content: "What's the weather in Paris?" }];
      const first = await client.chat.completions.create({ model, messages, tools: [weatherTool] });
      assert.equal(first.choices[0].finish_reason, 'tool_calls');
      const assistant = first.choices[0].message;
      const [call] = assistant.tool_calls;
      assert.equal(call.function.name, 'get_weather');
      assert.ok('location' in JSON.parse(call.function.arguments));
      messages.push(assistant);
      messages.push({ role: 'tool', tool_call_id: call.id, content: '18 degrees and sunny' });
      const second = await client.chat.completions.create({ model, messages, tools: [weatherTool] });
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.match(second.choices[0].message.content, /18 degrees and sunny/);
    });

    test(`streamed tool call on ${provider} accumulates to a whole call`, async () => {
      const runner = client.chat.completions.stream({
        model, messages: [{ role: 'user', content: "What's the weather in Oslo?" }], tools: [weatherTool], stream: true,
      });
      const completion = await runner.finalChatCompletion();
      assert.equal(completion.choices[0].finish_reason, 'tool_calls');
      const [call] = completion.choices[0].message.tool_calls;
      assert.equal(call.function.name, 'get_weather');
      assert.ok('location' in JSON.parse(call.function.arguments));
    });

    test(`max_completion_tokens and store on ${provider}`, async () => {
      const completion = await client.chat.completions.create({
        model, messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
        max_completion_tokens: 3, store: false,
      });
      assert.equal(completion.choices[0].finish_reason, 'length');
      assert.ok(completion.usage.completion_tokens <= 3, JSON.stringify(completion.usage));
    });

    test(`response_format json_schema on ${provider} answers JSON that satisfies the schema`,
      async () => {
        const completion = await client.chat.completions.create({
          model, messages: [{ role: 'user', content: 'Facts about Lisbon' }],
          response_format: { type: 'json_schema', json_schema: { name: 'city_facts', strict: true, schema: cityFactsSchema } },
        });
        assertCityFacts(JSON.parse(completion.choices[0].message.content));
      });

    test(`a stream cut mid-way by the upstream raises an error in the SDK on ${provider}`, async () => {
      let text = '';
      await assert.rejects(async () => {
        const stream = await client.chat.completions.create({
          model, stream: true,
          messages: [{ role: 'user', content: 'tell me a long tale of seven ships and nine harbours [sandbox:error_after=6]' }],
        });
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta?.content ?? '';
        }
      }, (error) => error instanceof OpenAI.APIError);
      assert.ok(text.length > 0, 'content arrived before the failure');
    });
  }
});

describe("the spec's example streaming client", () => {
  for (const { model, provider } of PROVIDERS) {
    test(`reads choices[0].delta of every chunk on ${provider}`, async () => {
      // the spec's snippet, verbatim in what it reads from each chunk
      const response = await fetch(`${BASE_URL}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Write a story' }], stream: true }),
      });
      const text = await response.text();
      let story = '';
      let last;
      for (const line of text.split('\n')) {
        if (line.startsWith('data: ')) {
          const data = line.slice(6);
          if (data === '[DONE]') continue;
          const parsed = JSON.parse(data);
          story += parsed.choices[0].delta.content ?? '';
          last = parsed;
        }
      }
      assert.match(story, /Write a story/);
      assert.ok(last.usage.total_tokens > 0 && last.cost.total_cost > 0 && last.latency, JSON.stringify(last));
    });
  }
});

describe('openai-node upstream errors', () => {
  test("a vendor's 422 reaches the SDK with the vendor's reason and the field", async () => {
    await assert.rejects(client.chat.completions.create({
      model: 'mistral-large', messages: [{ role: 'user', content: 'hi' }],
      prediction: { type: 'content', content: 'x', extra: 1 },
    }), (error) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.param, 'prediction.extra');
      assert.match(error.message, /Extra inputs are not permitted/);
      return true;
    });
  });
});

describe('openai-node models', () => {
  test('models.list names every provider', async () => {
    const ids = [];
    for await (const model of client.models.list()) {
      ids.push(model.id);
      assert.equal(model.object, 'model');
    }
    for (const { model } of PROVIDERS) {
      assert.ok(ids.includes(model), `${model} listed`);
    }
  });

  for (const { model, provider } of PROVIDERS) {
    test(`models.retrieve ${model}`, async () => {
      const found = await client.models.retrieve(model);
      assert.equal(found.id, model);
      assert.equal(found.object, 'model');
      assert.equal(found.owned_by, provider);
      assert.equal(typeof found.created, 'number');
    });
  }

  test('models.retrieve of an unknown model is a 404 NotFoundError', async () => {
    await assert.rejects(client.models.retrieve('no-such-model'), (error) => {
      assert.ok(error instanceof OpenAI.NotFoundError, String(error));
      assert.equal(error.code, 'model_not_found');
      return true;
    });
  });
});

/** The gateway's extensions on a Response: provider, usage in the Responses API's names, cost and latency. */
function assertResponseExtensions(response, provider) {
  assert.equal(response.provider, provider);
  assert.ok(response.usage.input_tokens > 0 && response.usage.output_tokens > 0, JSON.stringify(response.usage));
  assert.equal(response.usage.total_tokens, response.usage.input_tokens + response.usage.output_tokens);
  assert.ok(response.cost.total_cost > 0, JSON.stringify(response.cost));
  assert.ok(response.latency.total_time_ms >= 0, JSON.stringify(response.latency));
}

describe('openai-node responses', () => {
  for (const { model, provider } of PROVIDERS) {
    test(`responses.create on ${provider}`, async () => {
      const response = await client.responses.create({ model, input: 'Say hello', instructions: 'Be brief.' });
      assert.equal(response.object, 'response');
      assert.equal(response.status, 'completed');
      assert.match(response.output_text, /hello/i);
      assertResponseExtensions(response, provider);
    });

    test(`responses.create streamed on ${provider}`, async () => {
      const stream = await client.responses.create({ model, input: 'Write about rivers', stream: true });
      const types = [];
      let text = '';
      let completed;
      for await (const event of stream) {
        types.push(event.type);
        assert.equal(event.sequence_number, types.length - 1);
        if (event.type === 'response.output_text.delta') {
          text += event.delta;
        }
        if (event.type === 'response.completed') {
          completed = event.response;
        }
      }
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      assert.match(text, /rivers/);
      assertResponseExtensions(completed, provider);
    });

    test(`responses.stream helper rebuilds the response on ${provider}`, async () => {
      const stream = client.responses.stream({ model, input: 'Describe the sea' });
      let text = '';
      stream.on('response.output_text.delta', (event) => { text += event.delta; });
      const final = await stream.finalResponse();
      assert.equal(final.status, 'completed');
      assert.equal(final.output_text, text);
      assert.match(final.output_text, /Describe the sea/);
    });

    test(`responses function-call round trip on ${provider}`, async () => {
      const tools = [{ type: 'function', name: 'get_weather', parameters: weatherTool.function.parameters }];
      const first = await client.responses.create({ model, input: "What's the weather in Rome?", tools });
      const call = first.output.find((item) => item.type === 'function_call');
      assert.equal(call.name, 'get_weather');
      const second = await client.responses.create({
        model, tools, previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '21 degrees' }],
      });
      assert.match(second.output_text, /21 degrees/);
    });

    test(`responses streamed function call and its output replayed without store on ${provider}`, async () => {
      const tools = [{ type: 'function', name: 'get_weather', parameters: weatherTool.function.parameters }];
      const stream = client.responses.stream({ model, input: "What's the weather in Oslo?", tools, store: false });
      let args = '';
      stream.on('response.function_call_arguments.delta', (event) => { args += event.delta; });
      const first = await stream.finalResponse();
      const call = first.output.find((item) => item.type === 'function_call');
      assert.equal(call.arguments, args);
      assert.equal(typeof JSON.parse(call.arguments).location, 'string');
      const second = await client.responses.create({
        model, tools, store: false,
        input: [
          { role: 'user', content: "What's the weather in Oslo?" },
          call,
          { type: 'function_call_output', call_id: call.call_id, output: '4 degrees and snow' },
        ],
      });
      assert.match(second.output_text, /4 degrees and snow/);
    });

    test(`structured output with text.format on ${provider}`, async () => {
      const response = await client.responses.create({
        model, input: 'Facts about Porto',
        text: { format: { type: 'json_schema', name: 'city_facts', strict: true, schema: cityFactsSchema } },
      });
      assertCityFacts(JSON.parse(response.output_text));
    });
  }

  test('previous_response_id continues a conversation on another provider', async () => {
    const first = await client.responses.create({ model: 'gpt-4o', input: 'My name is Ada.' });
    const second = await client.responses.create({
      model: 'claude-3.5-sonnet', previous_response_id: first.id, input: 'What is my name?',
    });
    assert.equal(second.previous_response_id, first.id);
    assert.ok(second.output_text.length > 0);
  });

  test('responses.retrieve and responses.delete', async () => {
    const created = await client.responses.create({ model: 'mistral-large', input: 'Remember this' });
    const retrieved = await client.responses.retrieve(created.id);
    assert.equal(retrieved.id, created.id);
    assert.equal(retrieved.output_text, created.output_text);
    await client.responses.delete(created.id);
    await assert.rejects(client.responses.retrieve(created.id), (error) => error instanceof OpenAI.NotFoundError);
  });

  test('a built-in tool is a 400 naming the parameter', async () => {
    await assert.rejects(
      client.responses.create({ model: 'gpt-4o', input: 'Search the web', tools: [{ type: 'web_search' }] }),
      (error) => {
        assert.ok(error instanceof OpenAI.BadRequestError, String(error));
        assert.equal(error.param, 'tools[0].type');
        assert.match(error.message, /web_search/);
        return true;
      },
    );
  });

  test('a stream cut mid-way ends with response.failed', async () => {
    const stream = await client.responses.create({
      model: 'claude-3.5-sonnet', stream: true,
      input: 'tell me a long tale of seven ships and nine harbours [sandbox:error_after=6]',
    });
    const types = [];
    let failed;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.failed') {
        failed = event.response;
      }
    }
    assert.ok(types.includes('response.output_text.delta'), types.join());
    assert.equal(types.at(-1), 'response.failed');
    assert.equal(failed.status, 'failed');
    assert.ok(failed.error.message.length > 0);
  });
});
