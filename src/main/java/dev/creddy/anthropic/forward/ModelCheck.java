package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.usage.ModelSniffer;
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
    private Verdict verdict = Verdict.PENDING;
    private RequestRefusedException refusal;
    private String firstModel;

    private ModelCheck(ModelSniffer sniffer, TokenLimits limits) {
        this.sniffer = sniffer;
        this.limits = limits;
    }

    /** A check for a request of a token with {@code limits}, or null when there is nothing to check. */
    static ModelCheck forRequest(TokenLimits limits, String method, String path) {
        if (!limits.restrictsModels()) {
            return null;
        }
        return ModelSniffer.forRequest(method, path).map(sniffer -> new ModelCheck(sniffer, limits)).orElse(null);
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
                refuse(ApiError.of(400, "model must be a string naming a model, such as \"" + limits.models().get(0) + "\""));
                return;
            }
            if (firstModel == null) {
                firstModel = model.value();
            }
            if (!limits.allowsModel(model.value())) {
                String shown = model.value().length() > 100 ? model.value().substring(0, 100) + "…" : model.value();
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
