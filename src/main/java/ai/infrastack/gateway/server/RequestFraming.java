package ai.infrastack.gateway.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * RFC 9112's framing rules for a request, checked before its body is read. A request with both
 * Transfer-Encoding and Content-Length, or whose last transfer coding is not {@code chunked}, has
 * a length that a proxy in front of the gateway may read differently (section 6.3): the classic
 * request-smuggling opening. Netty would quietly drop the Content-Length and carry on; such a
 * request is refused with 400 and its connection closed.
 */
final class RequestFraming {
    private RequestFraming() {}

    /** Throws {@link IllegalArgumentException} naming the rule a request's headers break. */
    static void check(HttpHeaders headers) {
        List<String> encodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (encodings.isEmpty()) {
            return;
        }
        if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            throw new IllegalArgumentException("A request may not carry both Transfer-Encoding and Content-Length");
        }
        List<String> codings = new ArrayList<>();
        for (String header : encodings) {
            for (String coding : header.split(",")) {
                String c = coding.trim().toLowerCase(Locale.ROOT);
                if (!c.isEmpty()) {
                    codings.add(c);
                }
            }
        }
        // chunked must be last and only once; the gateway decodes no other transfer coding.
        if (codings.size() != 1 || !codings.get(0).equals("chunked")) {
            throw new IllegalArgumentException("Transfer-Encoding must be exactly 'chunked', got '"
                    + String.join(", ", codings) + "'");
        }
    }
}
