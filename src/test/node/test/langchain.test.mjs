// LangChain.js ChatOpenAI pointed at the gateway: invoke, stream, tools and structured output.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatOpenAI } from '@langchain/openai';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { API_KEY, BASE_URL, PROVIDERS } from '../support/gateway.mjs';

function chat(model) {
  return new ChatOpenAI({ model, apiKey: API_KEY, configuration: { baseURL: BASE_URL }, maxRetries: 0 });
}

const weather = tool(async ({ location }) => `18 degrees and sunny in ${location}`, {
  name: 'get_weather',
  description: 'Get the current weather for a location',
  schema: z.object({ location: z.string() }),
});

const cityFacts = z.object({
  city: z.string(),
  population: z.number().int(),
  landmarks: z.array(z.string()),
  coastal: z.boolean(),
});

describe('langchain ChatOpenAI', () => {
  for (const { model, provider } of PROVIDERS) {
    test(`invoke on ${provider}`, async () => {
      const answer = await chat(model).invoke('Explain photosynthesis');
      assert.ok(answer instanceof AIMessage);
      assert.match(answer.content, /Explain photosynthesis/);
      assert.ok(answer.usage_metadata.input_tokens > 0 && answer.usage_metadata.output_tokens > 0,
        JSON.stringify(answer.usage_metadata));
    });

    test(`stream on ${provider}`, async () => {
      let text = '';
      let usage;
      for await (const chunk of await chat(model).stream('Describe a mountain')) {
        text += chunk.content;
        usage = chunk.usage_metadata ?? usage;
      }
      assert.match(text, /Describe a mountain/);
      assert.ok(usage?.output_tokens > 0, `usage reported: ${JSON.stringify(usage)}`);
    });

    test(`a stream cut mid-way raises on ${provider}`, async () => {
      let text = '';
      await assert.rejects(async () => {
        for await (const chunk of await chat(model).stream('tell me a long tale of seven ships and nine harbours [sandbox:error_after=6]')) {
          text += chunk.content;
        }
      });
      assert.ok(text.length > 0, 'content arrived before the failure');
    });

    test(`tool round trip on ${provider}`, async () => {
      const withTools = chat(model).bindTools([weather]);
      const messages = [new HumanMessage("What's the weather in Quito?")];
      const first = await withTools.invoke(messages);
      assert.equal(first.tool_calls.length, 1);
      const [call] = first.tool_calls;
      assert.equal(call.name, 'get_weather');
      messages.push(first);
      messages.push(new ToolMessage({ tool_call_id: call.id, content: await weather.invoke(call.args) }));
      const second = await withTools.invoke(messages);
      assert.match(second.content, /18 degrees and sunny/);
    });

    test(`withStructuredOutput in json-schema mode on ${provider}`,
      async () => {
        const structured = chat(model).withStructuredOutput(cityFacts, { method: 'jsonSchema', name: 'city_facts' });
        cityFacts.parse(await structured.invoke('Facts about Naples'));
      });
  }
});
