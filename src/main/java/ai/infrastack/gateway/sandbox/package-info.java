/**
 * Sandbox upstreams: the vendors' HTTP APIs simulated on loopback, so the gateway runs and is tested with no
 * network and no API keys.
 *
 * <p>{@link ai.infrastack.gateway.sandbox.SandboxUpstreams} is the server and the only entry point. Each
 * vendor is one {@code VendorSimulator} ({@code OpenAiSimulator}, {@code AnthropicSimulator},
 * {@code GeminiSimulator}, {@code CohereSimulator}, {@code MistralSimulator}, {@code TogetherSimulator}) that
 * validates the request strictly (the OpenAI-compatible ones share {@code ChatCompletionsRequest}), turns it into
 * a vendor-neutral {@code Conversation}, lets {@code ReplyComposer} decide the answer, and renders it in the
 * vendor's wire format. Replies and usage are deterministic (one token = one whitespace-separated word);
 * {@link ai.infrastack.gateway.sandbox.SandboxDirectives} written in the last user message inject errors, latency,
 * cache and reasoning usage, finish reasons, blocked prompts, dropped connections and broken streams.
 *
 * <p>Adding a vendor: one more {@code VendorSimulator} listed in {@code SandboxUpstreams.simulators()};
 * {@code SandboxUpstreams.baseUrlFor(provider, wireFormat)} maps providers with a simulator of their own.
 */
package ai.infrastack.gateway.sandbox;
