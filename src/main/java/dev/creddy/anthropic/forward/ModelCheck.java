package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.usage.ModelSniffer;
import dev.creddy.anthropic.usage.PriceTable;
import java.util.List;

/**
 * Holds one request body to its token's model allowlist while the body streams up: a
 * {@link ModelSniffer} reads the models as they pass, and the check refuses at the first one the
 * token may not call. It allows only at the body's end, since a second {@code model} key could
 * follow the first. Fails closed: a model that is not a string, or a body that is not JSON, is
 * refused (the upstream would refuse it too), so nothing the check cannot read goes up.
 *
 * <p>Confined to the thread that reads the body (see {@link RequestBodyPump}).
 */
final class ModelCheck {

    /** Where the check stands. */
    enum Verdict {
        /** Still reading; nothing refused so far. */
        PENDING,
        /** The body ended and every model it names is allowed (or it names none: the upstream answers that). */
        ALLOWED,
        /** Refused: see {@link #refusal()}. */
        REFUSED
    }

    private final ModelSniffer sniffer;
    private final TokenLimits limits;
    /** For a request held to a dollar budget: the table a model must be in; null otherwise. */
    private final PriceTable prices;
    private Verdict verdict = Verdict.PENDING;
    private RequestRefusedException refusal;
    private String firstModel;

    private ModelCheck(ModelSniffer sniffer, TokenLimits limits, PriceTable prices) {
        this.sniffer = sniffer;
        this.limits = limits;
        this.prices = prices;
    }

    /** A check for a request of a token with {@code limits}, or null when there is nothing to check. */
    static ModelCheck forRequest(TokenLimits limits, String method, String path) {
        return forRequest(limits, method, path, null);
    }

    /**
     * The same, for a request held to a dollar budget when {@code prices} is not null: a Messages
     * request must then name a model the table prices (fail closed: never priced at zero), and its
     * model and {@code max_tokens} are read for the reservation.
     */
    static ModelCheck forRequest(TokenLimits limits, String method, String path, PriceTable prices) {
        boolean priced = prices != null && "POST".equals(method) && "/v1/messages".equals(path);
        if (!limits.restrictsModels() && !priced) {
            return null;
        }
        return ModelSniffer.forRequest(method, path).map(sniffer -> new ModelCheck(sniffer, limits, priced ? prices : null))
                .orElse(null);
    }

    /** The request's {@code max_tokens}, once read. */
    java.util.OptionalLong maxTokens() {
        return sniffer.maxTokens();
    }

    /** Reads the next bytes of the body. */
    Verdict read(byte[] bytes, int offset, int length) {
        if (verdict == Verdict.PENDING) {
            judge(sniffer.accept(bytes, offset, length));
            if (verdict == Verdict.PENDING && sniffer.status() == ModelSniffer.Status.NOT_JSON) {
                refuse(ApiError.of(400, "the body is not valid JSON"));
            }
        }
        return verdict;
    }

    /** The body ended: the final verdict, never {@link Verdict#PENDING}. */
    Verdict end() {
        if (verdict == Verdict.PENDING) {
            judge(sniffer.end());
        }
        if (verdict == Verdict.PENDING) {
            if (sniffer.status() == ModelSniffer.Status.NOT_JSON) {
                refuse(ApiError.of(400, "the body is not valid JSON"));
            } else {
                verdict = Verdict.ALLOWED;
            }
        }
        return verdict;
    }

    /** Why the request was refused; only after {@link Verdict#REFUSED}. */
    RequestRefusedException refusal() {
        return refusal;
    }

    /** The first model the body named, for the audit line; null when none was read. */
    String model() {
        return firstModel;
    }

    private void judge(List<ModelSniffer.Model> models) {
        for (ModelSniffer.Model model : models) {
            if (verdict != Verdict.PENDING) {
                return;
            }
            if (model.kind() != ModelSniffer.Model.Kind.NAME) {
                refuse(ApiError.of(400, "model must be a string naming a model, such as \""
                        + (limits.models().isEmpty() ? "claude-sonnet-4-5" : limits.models().get(0)) + "\""));
                return;
            }
            if (firstModel == null) {
                firstModel = model.value();
            }
            String shown = model.value().length() > 100 ? model.value().substring(0, 100) + "…" : model.value();
            if (prices != null && prices.lookup(model.value()).isEmpty()) {
                refuse(ApiError.of(400, "model " + shown + " has no price in the proxy's price table, and this token is held "
                        + "to a dollar budget (max_cost_usd or agent-budgets), so it cannot be priced: the operator can add it "
                        + "with the price-table setting"));
                return;
            }
            if (!limits.allowsModel(model.value())) {
                refuse(ApiError.of(403, "model " + shown + " is not allowed for this token: it may call "
                        + String.join(", ", limits.models())));
            }
        }
    }

    private void refuse(ApiError error) {
        verdict = Verdict.REFUSED;
        refusal = new RequestRefusedException(error);
    }
}
