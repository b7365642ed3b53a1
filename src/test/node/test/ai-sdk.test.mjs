// The Vercel AI SDK with its OpenAI provider pointed at the gateway: the default provider
// (openai(model), which speaks the Responses API) and the Chat Completions one (openai.chat(model)).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import {
  API_KEY, BASE_URL, PROVIDERS, pending,
} from '../support/gateway.mjs';

const openai = createOpenAI({ baseURL: BASE_URL, apiKey: API_KEY });

const weather = tool({
  description: 'Get the current weather for a location',
  inputSchema: z.object({ location: z.string() }),
  execute: async ({ location }) => `18 degrees and sunny in ${location}`,
});

const cityFacts = z.object({
  city: z.string(),
  population: z.number().int(),
  landmarks: z.array(z.string()),
  coastal: z.boolean(),
});

/** The same four scenarios for a language model of the provider. */
function scenarios(label, languageModel, skips) {
  describe(label, () => {
    for (const { model, provider } of PROVIDERS) {
      test(`generateText on ${provider}`, { skip: pending(skips.text, provider) }, async () => {
        const result = await generateText({ model: languageModel(model), prompt: 'Explain tides', maxRetries: 0 });
        assert.match(result.text, /Explain tides/);
        assert.equal(result.finishReason, 'stop');
        assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0, JSON.stringify(result.usage));
      });

      test(`streamText on ${provider}`, { skip: pending(skips.text, provider) }, async () => {
        const result = streamText({ model: languageModel(model), prompt: 'Describe a forest', maxRetries: 0 });
        let text = '';
        for await (const delta of result.textStream) {
          text += delta;
        }
        assert.match(text, /Describe a forest/);
        assert.equal(await result.finishReason, 'stop');
        assert.ok((await result.usage).outputTokens > 0);
      });

      test(`tool loop on ${provider}`, { skip: pending(skips.tools, provider) }, async () => {
        const result = await generateText({
          model: languageModel(model), prompt: "What's the weather in Lima?", tools: { get_weather: weather },
          stopWhen: stepCountIs(3), maxRetries: 0,
        });
        assert.equal(result.steps[0].toolCalls[0].toolName, 'get_weather');
        assert.match(result.text, /18 degrees and sunny/);
        assert.equal(result.finishReason, 'stop');
      });

      test(`generateObject with a zod schema on ${provider}`, { skip: pending(skips.object, provider) }, async () => {
        const result = await generateObject({
          model: languageModel(model), schema: cityFacts, prompt: 'Facts about Porto', maxRetries: 0,
        });
        cityFacts.parse(result.object);
      });
    }
  });
}

/** A stream the sandbox cuts after six events: content arrives, then an error or an abnormal finish, never 'stop'. */
async function assertCutStreamReported(languageModel) {
  const errors = [];
  const result = streamText({
    model: languageModel, maxRetries: 0, onError: ({ error }) => errors.push(error),
    prompt: 'tell me a long tale of seven ships and nine harbours [sandbox:error_after=6]',
  });
  let text = '';
  let finish;
  try {
    for await (const delta of result.textStream) {
      text += delta;
    }
    finish = await result.finishReason;
  } catch (error) {
    errors.push(error);
  }
  assert.ok(text.length > 0, 'content arrived before the failure');
  assert.ok(errors.length > 0 || (finish !== 'stop' && finish !== 'length'), `finish ${finish}, errors ${errors}`);
}

describe('ai-sdk chat provider, a stream cut mid-way', () => {
  for (const { model, provider } of PROVIDERS) {
    test(`is reported, never a normal finish, on ${provider}`, () => assertCutStreamReported(openai.chat(model)));
  }
});

scenarios('ai-sdk default provider (Responses API)', (model) => openai(model), {
  text: {}, tools: {}, object: {},
});

scenarios('ai-sdk chat provider (Chat Completions)', (model) => openai.chat(model), {
  text: {},
  tools: {},
  object: {},
});

describe('ai-sdk default provider (Responses API), beyond the four scenarios', () => {
  for (const { model, provider } of PROVIDERS) {
    test(`a conversation continued from response.messages sends item_reference and works on ${provider}`, async () => {
      const first = await generateText({ model: openai(model), prompt: 'Explain tides', maxRetries: 0 });
      const second = await generateText({
        model: openai(model), maxRetries: 0,
        messages: [{ role: 'user', content: 'Explain tides' }, ...first.response.messages, { role: 'user', content: 'Say more about the moon' }],
      });
      const sent = typeof second.request.body === 'string' ? JSON.parse(second.request.body) : second.request.body;
      assert.ok(sent.input.some((item) => item.type === 'item_reference'), JSON.stringify(sent.input));
      assert.match(second.text, /Say more about the moon/);
    });

    test(`a stream cut mid-way is reported, never a normal finish, on ${provider}`,
      () => assertCutStreamReported(openai(model)));
  }
});
