package ai.infrastack.gateway.recovery;

import java.math.BigDecimal;

/**
 * What the request log or the budget ledger knows of a request id: a call that was answered (and charged
 * {@code cost}, null when unpriced) or answered with an error ({@code succeeded} false, nothing charged).
 */
public record ChargedCall(String requestId, boolean succeeded, BigDecimal cost) {
    public static final int LOST_ANSWER_STATUS = 500;
    public static final String LOST_ANSWER_CODE = "answer_lost";

    /**
     * The result for work whose call was answered and charged but whose answer died with its instance
     * before it was kept: the error body a client gets instead of a second call (and a second charge).
     */
    public String lostAnswerBody() {
        return "{\"error\":{\"message\":\"This request was answered and charged (request " + requestId + (cost == null ? ""
                : ", " + cost.stripTrailingZeros().toPlainString() + " USD") + ") but the gateway stopped before it kept the answer."
                + " It is not sent again, so it is not charged twice; send it again to get an answer.\","
                + "\"type\":\"server_error\",\"param\":null,\"code\":\"" + LOST_ANSWER_CODE + "\",\"request_id\":\"" + requestId + "\"}}";
    }
}
