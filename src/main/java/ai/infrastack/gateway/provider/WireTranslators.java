package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.ErrorType;

import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;

/** Every wire format on the class path, by name, found once at start-up. */
public final class WireTranslators {
    private final Map<String, WireTranslator> byFormat;

    public WireTranslators(Map<String, WireTranslator> byFormat) {
        this.byFormat = Map.copyOf(byFormat);
    }

    private static volatile WireTranslators known;

    /** The formats on the class path, discovered once. */
    public static WireTranslators known() {
        WireTranslators k = known;
        if (k == null) {
            k = discover();
            known = k;
        }
        return k;
    }

    public static WireTranslators discover() {
        Map<String, WireTranslator> found = new HashMap<>();
        for (WireTranslator t : ServiceLoader.load(WireTranslator.class)) {
            found.put(t.format(), t);
        }
        return new WireTranslators(found);
    }

    public WireTranslator get(String format) {
        WireTranslator t = byFormat.get(format);
        if (t == null) {
            // A route file names a format no class implements: the route is misconfigured, not the client.
            throw GatewayException.of(ErrorType.SERVER, "No wire translator for format '" + format + "'").build();
        }
        return t;
    }

    public java.util.Set<String> formats() {
        return byFormat.keySet();
    }
}
