package ai.infrastack.gateway.responses;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One Responses API call as the translator understood it, for the steps that answer, store and echo it.
 *
 * @param responseId the id the Response gets ({@code resp_…})
 * @param request    the client's request, for the fields a Response echoes (instructions, tools, …)
 * @param context    the conversation's items up to this call, in Responses form with every reference resolved:
 *                   a previous response's context and output, then this call's input
 * @param scope      whose stored responses this call may see: the caller's project, else its key
 * @param store      whether the Response is kept for {@code previous_response_id} and {@code item_reference}
 */
public record ResponsesTurn(String responseId, ObjectNode request, ArrayNode context, String scope, boolean store,
                            long createdAt) {
}
