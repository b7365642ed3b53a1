package ai.infrastack.gateway.validation;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;

import java.util.Locale;

/**
 * JSON exchanged between systems is UTF-8 (RFC 8259 §8.1). Jackson would otherwise detect UTF-16 and
 * UTF-32 and answer them, so a client whose bodies only this gateway accepts would break on every
 * other API. Refused: a UTF-16/32 byte-order mark, the zero bytes UTF-16/32 put beside the ASCII
 * characters a JSON text starts with, and a declared charset other than UTF-8. A UTF-8 byte-order
 * mark is ignored, as the RFC allows.
 */
final class Utf8Json {
    private Utf8Json() {
    }

    /** Throws a 400 {@code invalid_request_error} (code {@code invalid_encoding}) unless the body can be UTF-8 JSON. */
    static void require(byte[] body, String contentType) {
        String declared = charsetOf(contentType);
        if (declared != null && !declared.equals("utf-8") && !declared.equals("utf8") && !declared.equals("us-ascii")) {
            throw refused("the Content-Type declares charset=" + declared);
        }
        if (body == null || body.length < 2) {
            return;
        }
        String encoding = detectedNonUtf8(body);
        if (encoding != null) {
            throw refused("it is encoded as " + encoding);
        }
    }

    /** The encoding RFC 4627 §3's detection names for a UTF-16/32 body, or null for UTF-8 (with or without BOM). */
    private static String detectedNonUtf8(byte[] b) {
        int b0 = b[0] & 0xff;
        int b1 = b[1] & 0xff;
        int b2 = b.length > 2 ? b[2] & 0xff : -1;
        int b3 = b.length > 3 ? b[3] & 0xff : -1;
        if (b0 == 0x00 && b1 == 0x00 && b2 == 0xfe && b3 == 0xff) {
            return "UTF-32BE (byte-order mark)";
        }
        if (b0 == 0xff && b1 == 0xfe && b2 == 0x00 && b3 == 0x00) {
            return "UTF-32LE (byte-order mark)";
        }
        if (b0 == 0xfe && b1 == 0xff) {
            return "UTF-16BE (byte-order mark)";
        }
        if (b0 == 0xff && b1 == 0xfe) {
            return "UTF-16LE (byte-order mark)";
        }
        if (b.length >= 4 && b0 == 0 && b1 == 0 && b2 == 0 && b3 != 0) {
            return "UTF-32BE";
        }
        if (b.length >= 4 && b0 != 0 && b1 == 0 && b2 == 0 && b3 == 0) {
            return "UTF-32LE";
        }
        if (b0 == 0 && b1 != 0) {
            return "UTF-16BE";
        }
        if (b0 != 0 && b1 == 0) {
            return "UTF-16LE";
        }
        return null;
    }

    private static String charsetOf(String contentType) {
        if (contentType == null) {
            return null;
        }
        for (String param : contentType.split(";")) {
            String p = param.trim().toLowerCase(Locale.ROOT);
            if (p.startsWith("charset=")) {
                return p.substring("charset=".length()).replace("\"", "").trim();
            }
        }
        return null;
    }

    private static GatewayException refused(String why) {
        return GatewayException.of(ErrorType.INVALID_REQUEST,
                        "The request body must be JSON encoded as UTF-8 (RFC 8259); " + why)
                .code("invalid_encoding").build();
    }
}
