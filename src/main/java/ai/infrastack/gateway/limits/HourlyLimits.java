package ai.infrastack.gateway.limits;

/** The limits that apply to one key: requests and tokens per rolling hour. */
public record HourlyLimits(long requests, long tokens) {
}
