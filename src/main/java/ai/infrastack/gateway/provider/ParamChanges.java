package ai.infrastack.gateway.provider;

import java.util.ArrayList;
import java.util.List;

/**
 * What a translator did to the client's parameters: the list itself holds the ones left out (named in
 * {@code X-Gateway-Dropped-Params}), {@link #adjusted()} the ones sent with another value than the client
 * gave, e.g. a temperature clamped into the vendor's range (named in {@code X-Gateway-Adjusted-Params}).
 * Translators receive it as their {@code dropped} list and record adjustments with {@link #adjusted(List, String)}.
 */
public final class ParamChanges extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    private final List<String> adjusted = new ArrayList<>();

    public List<String> adjusted() {
        return adjusted;
    }

    /** Records that {@code param} was sent with a changed value, when {@code dropped} is a ParamChanges. */
    public static void adjusted(List<String> dropped, String param) {
        if (dropped instanceof ParamChanges changes && !changes.adjusted.contains(param)) {
            changes.adjusted.add(param);
        }
    }
}
