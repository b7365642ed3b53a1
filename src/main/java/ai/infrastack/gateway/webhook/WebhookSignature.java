package ai.infrastack.gateway.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The signature a receiver checks: {@code v1=} hex HMAC-SHA256, keyed with the endpoint's secret,
 * over {@code <timestamp>.<body>} (timestamp = the {@code X-Gateway-Webhook-Timestamp} header, unix
 * seconds). Signing the timestamp with the body lets a receiver refuse a replayed old delivery.
 */
public final class WebhookSignature {
    public static final String SIGNATURE_HEADER = "X-Gateway-Signature";
    public static final String TIMESTAMP_HEADER = "X-Gateway-Webhook-Timestamp";
    public static final String ID_HEADER = "X-Gateway-Webhook-Id";
    public static final String EVENT_HEADER = "X-Gateway-Webhook-Event";

    private WebhookSignature() {}

    public static String sign(String secret, long timestampSeconds, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal((timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
            return "v1=" + HexFormat.of().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /**
     * What a receiver does: the signature matches (compared in constant time) and the timestamp is
     * within {@code toleranceSeconds} of its own clock.
     */
    public static boolean verify(String secret, String timestampHeader, String body, String signatureHeader,
                                 long nowSeconds, long toleranceSeconds) {
        if (timestampHeader == null || signatureHeader == null) {
            return false;
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(timestampHeader.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
            return false;
        }
        byte[] expected = sign(secret, timestamp, body).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, signatureHeader.trim().getBytes(StandardCharsets.UTF_8));
    }
}
