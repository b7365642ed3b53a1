package ai.infrastack.gateway.clients;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a client test the {@link PackagedGateway}: started once for the whole test run (kept in the
 * root context's store) and stopped when the run ends, so every client test class shares one jar process.
 */
public final class PackagedGatewayExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == PackagedGateway.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(PackagedGateway.class, type -> PackagedGateway.start(), PackagedGateway.class);
    }
}
