/**
 * Sandbox upstreams: the vendors' HTTP APIs simulated on loopback, so the gateway runs and is tested with no
 * network and no API keys.
 *
 * <p>{@link ai.infrastack.gateway.sandbox.SandboxUpstreams} is the server and the only entry point. Each
 * vendor is one {@code VendorSimulator} ({@code OpenAiSimulator}, {@code AnthropicSimulator}) that validates
 * the request strictly, turns it into a vendor-neutral {@code Conversation}, lets {@code ReplyComposer}
 * decide the answer, and renders it in the vendor's wire format. Replies and usage are deterministic (one
 * token = one whitespace-separated word); {@link ai.infrastack.gateway.sandbox.SandboxDirectives} written in the
 * last user message inject errors, latency, cache and reasoning usage, dropped connections and broken streams.
 *
 * <p>Adding a vendor (Gemini, Cohere): one more {@code VendorSimulator} listed in
 * {@code SandboxUpstreams.simulators()}.
 */
package ai.infrastack.gateway.sandbox;
