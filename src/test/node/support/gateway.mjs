// Where the packaged gateway under test listens and which models stand for the six providers.
// NodeClientsIT starts the jar in sandbox mode and passes GATEWAY_BASE_URL and GATEWAY_API_KEY.
import assert from 'node:assert/strict';

export const BASE_URL = process.env.GATEWAY_BASE_URL ?? 'http://127.0.0.1:3000/api/v1';
export const API_KEY = process.env.GATEWAY_API_KEY ?? 'sk-local-master';

/** One model of each provider, as the README names them. */
export const PROVIDERS = [
  { model: 'gpt-4o', provider: 'openai' },
  { model: 'claude-3.5-sonnet', provider: 'anthropic' },
  { model: 'gemini-1.5-pro', provider: 'google' },
  { model: 'llama-3.1-70b', provider: 'meta' },
  { model: 'mistral-large', provider: 'mistral' },
  { model: 'command-r-plus', provider: 'cohere' },
];

/**
 * Why a scenario cannot pass yet, or false. Each reason names the issue item that builds it, so
 * the test is enabled (the entry removed) when that item lands.
 */
export function pending(reasons, provider) {
  return reasons[provider] ?? reasons['*'] ?? false;
}

export const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a location',
    parameters: {
      type: 'object',
      properties: { location: { type: 'string', description: 'City name' } },
      required: ['location'],
    },
  },
};

/** A JSON schema the structured-output scenarios ask for. */
export const cityFactsSchema = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    population: { type: 'integer' },
    landmarks: { type: 'array', items: { type: 'string' } },
    coastal: { type: 'boolean' },
  },
  required: ['city', 'population', 'landmarks', 'coastal'],
  additionalProperties: false,
};

export function assertCityFacts(value) {
  assert.equal(typeof value, 'object');
  assert.equal(typeof value.city, 'string');
  assert.ok(Number.isInteger(value.population), `population is an integer: ${JSON.stringify(value)}`);
  assert.ok(Array.isArray(value.landmarks));
  assert.equal(typeof value.coastal, 'boolean');
}

/** The gateway's extensions on a completion: provider, usage, cost and latency. */
export function assertGatewayExtensions(completion, provider) {
  assert.equal(completion.provider, provider);
  assert.ok(completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens > 0, JSON.stringify(completion.usage));
  assert.ok(completion.cost.total_cost > 0, JSON.stringify(completion.cost));
  assert.ok(completion.latency.total_time_ms >= 0, JSON.stringify(completion.latency));
}
