// After submitting: the status live over the interviewStatus subscription (graphql-transport-ws), with
// per-answer progress; once scored, the plain-words explanation, the own scores where the requisition
// shows them, and the human-review request.
import { useEffect, useRef, useState } from "react";
import { useMutation, useSubscription } from "urql";
import {
  CandidateExplanationDocument,
  type CandidateExplanationMutation,
  CandidateHumanReviewDocument,
  CandidateInterviewStatusDocument,
  type InterviewStatus,
} from "../generated/graphql";
import { type Language, WORDS } from "./i18n";
import { Radar } from "./Radar";

type Explanation = NonNullable<CandidateExplanationMutation["interviewExplanationRequest"]["explanation"]>;

interface Props {
  token: string;
  language: Language;
  interviewId: string;
  initialStatus: InterviewStatus;
  initialReason: string | null;
  onReopened(): void;
}

export function StatusView({ token, language, interviewId, initialStatus, initialReason, onReopened }: Props) {
  const words = WORDS[language];
  const [{ data }] = useSubscription({ query: CandidateInterviewStatusDocument, variables: { id: interviewId } });
  const event = data?.interviewStatus;
  const status = event?.status ?? initialStatus;
  const reason = event ? event.reason : initialReason;
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [, requestExplanation] = useMutation(CandidateExplanationDocument);
  const asked = useRef(false);

  useEffect(() => {
    if (status !== "SCORED" || asked.current) return;
    asked.current = true;
    void requestExplanation({ input: { invitationToken: token } }).then((result) => {
      setExplanation(result.data?.interviewExplanationRequest.explanation ?? null);
    });
  }, [status, token, requestExplanation]);

  const pick = (text: { zh: string; en: string }) => (language === "zh" ? text.zh : text.en);
  return (
    <>
      <section className="card" aria-labelledby="status-heading">
        <h2 id="status-heading">{words.statusHeading}</h2>
        <p className="muted">{words.statusLive}</p>
        <p className={`status status-${status}`} role="status" aria-live="polite" data-testid="live-status">
          {words.status[status] ?? status}
        </p>
        {event?.answersTotal ? (
          <div className="upload">
            <label htmlFor="scoring-progress">{words.progress}</label>
            <progress id="scoring-progress" max={event.answersTotal} value={event.answersScored ?? 0} />
            <span className="muted" data-testid="scoring-progress">
              {event.answersScored ?? 0} / {event.answersTotal}
            </span>
          </div>
        ) : null}
        {reason && <p className={status === "FAILED" ? "alert error" : "muted"}>{reason}</p>}
        {status === "FAILED" && (
          <>
            <p>{words.failedHint}</p>
            <div className="actions">
              <button type="button" onClick={onReopened}>
                {words.backToQuestions}
              </button>
            </div>
          </>
        )}
      </section>
      {explanation && (
        <section className="card" aria-labelledby="explanation-heading" data-testid="explanation">
          <h2 id="explanation-heading">{words.explanationHeading}</h2>
          <p>{pick(explanation.summary)}</p>
          <ul className="plain">
            {explanation.dimensions.map((dimension) => (
              <li key={dimension.key}>
                <strong>{language === "zh" ? dimension.nameZh : dimension.nameEn}</strong>: {pick(dimension.text)}
              </li>
            ))}
          </ul>
          {explanation.notUsed.length > 0 && (
            <>
              <h3>{words.notUsedHeading}</h3>
              <ul>
                {explanation.notUsed.map((item) => (
                  <li key={item.en}>{pick(item)}</li>
                ))}
              </ul>
            </>
          )}
          {explanation.ownReport && (
            <>
              <h3>{words.scoresHeading}</h3>
              <p>
                {words.total}:{" "}
                <strong data-testid="own-total">{explanation.ownReport.total?.toFixed(1) ?? words.insufficient}</strong>
              </p>
              <table>
                <caption className="visually-hidden">{words.scoresHeading}</caption>
                <tbody>
                  {explanation.ownReport.dimensionScores.map((score) => (
                    <tr key={score.key}>
                      <th scope="row">{language === "zh" ? score.nameZh : score.nameEn}</th>
                      <td>{score.score?.toFixed(1) ?? words.insufficient}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Radar axes={explanation.ownReport.radar} language={language} label={words.radarLabel} />
            </>
          )}
        </section>
      )}
      {(status === "SCORED" || status === "FAILED") && <ReviewRequest token={token} language={language} />}
    </>
  );
}

function ReviewRequest({ token, language }: { token: string; language: Language }) {
  const words = WORDS[language];
  const [message, setMessage] = useState("");
  const [{ data, fetching }, request] = useMutation(CandidateHumanReviewDocument);
  const sent = data?.interviewHumanReviewRequest.reviewRequest;
  const errors = data?.interviewHumanReviewRequest.errors ?? [];
  return (
    <section className="card" aria-labelledby="review-heading">
      <h2 id="review-heading">{words.reviewHeading}</h2>
      {sent ? (
        <p role="status" data-testid="review-sent">
          {words.reviewSent} {words.reviewStatus[sent.status] ?? sent.status}
        </p>
      ) : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!fetching) void request({ input: { invitationToken: token, message } });
          }}
        >
          <p>{words.reviewHint}</p>
          <label htmlFor="review-message">{words.reviewMessage}</label>
          <textarea
            id="review-message"
            value={message}
            maxLength={5000}
            rows={3}
            onChange={(event) => setMessage(event.target.value)}
          />
          {errors.map((error) => (
            <p key={error.code} className="alert error" role="alert">
              {error.message}
            </p>
          ))}
          <div className="actions">
            <button type="submit" disabled={fetching}>
              {words.reviewSend}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
