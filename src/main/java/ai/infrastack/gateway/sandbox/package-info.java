/**
 * Sandbox upstreams: the vendors' HTTP APIs simulated on loopback, so the gateway runs and is tested with no
 * network and no API keys.
 *
 * <p>{@link ai.infrastack.gateway.sandbox.SandboxUpstreams} is the server and the only entry point. Each
 * vendor is one {@code VendorSimulator} ({@code AnthropicSimulator}, {@code GeminiSimulator},
 * {@code CohereSimulator}, and one {@code ChatCompletionsSimulator} for the OpenAI-compatible vendors, with an
 * {@code OpenAiDialect}, {@code MistralDialect} or {@code TogetherDialect} holding each one's rules) that
 * validates the request strictly, turns it into a vendor-neutral {@code Conversation}, lets {@code ReplyComposer}
 * decide the answer (JSON satisfying the schema when a structured output is asked for, tool arguments satisfying
 * the tool's parameters: {@code SchemaInstance}), and renders it in the vendor's wire format. Replies and usage are deterministic (one token = one whitespace-separated word);
 * {@link ai.infrastack.gateway.sandbox.SandboxDirectives} written in the last user message inject errors, latency,
 * cache and reasoning usage, finish reasons, blocked prompts, dropped connections and broken streams.
 *
 * <p>Adding a vendor: one more {@code VendorSimulator} listed in {@code SandboxUpstreams.simulators()};
 * {@code SandboxUpstreams.baseUrlFor(provider, wireFormat)} maps providers with a simulator of their own.
 */
package ai.infrastack.gateway.sandbox;
