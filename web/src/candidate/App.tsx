// The candidate's interview page at /interview/{token}: the token in the path is the only credential.
import { useEffect, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import {
  CandidateConsentRecordDocument,
  CandidateInvitationDocument,
  type CandidateInvitationQuery,
  CandidateSubmitDocument,
  type InterviewStatus,
} from "../generated/graphql";
import { useDevices } from "./devices";
import { initialLanguage, type Language, WORDS } from "./i18n";
import { QuestionStep } from "./QuestionStep";
import { StatusView } from "./StatusView";

export const NOTICE_VERSION = "candidate-notice-2026-11";
const OPEN_FOR_ANSWERS: InterviewStatus[] = ["INVITED", "IN_PROGRESS", "FAILED"];

export function App({ token }: { token: string }) {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const words = WORDS[language];
  const [{ data, error, fetching }, reload] = useQuery({
    query: CandidateInvitationDocument,
    variables: { token },
  });
  const [answering, setAnswering] = useState<boolean | null>(null);

  useEffect(() => {
    document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
    document.title = `${words.title} · hrgate`;
  }, [language, words.title]);

  const invitation = data?.invitation;
  const open = invitation ? OPEN_FOR_ANSWERS.includes(invitation.status) : false;
  const statusWhenOpened = useRef<InterviewStatus | null>(null);
  if (invitation && statusWhenOpened.current === null) statusWhenOpened.current = invitation.status;
  const openedUsed = statusWhenOpened.current !== null && !OPEN_FOR_ANSWERS.includes(statusWhenOpened.current);
  const showQuestions = answering ?? (open && invitation?.status !== "FAILED");
  const reason = error?.graphQLErrors[0]?.extensions?.reason as string | undefined;

  let body;
  if (!invitation && fetching) {
    body = <p role="status">{words.loading}</p>;
  } else if (error && !invitation) {
    const message =
      reason === "INVITATION_EXPIRED"
        ? words.linkExpired
        : reason === "INVITATION_REVOKED"
          ? words.linkRevoked
          : reason === "INVITATION_INVALID"
            ? words.linkInvalid
            : words.networkError;
    body = (
      <section className="card" role="alert" data-testid="link-problem" data-reason={reason ?? "NETWORK"}>
        <p>{message}</p>
        {!reason && (
          <button type="button" onClick={() => reload({ requestPolicy: "network-only" })}>
            {words.retry}
          </button>
        )}
      </section>
    );
  } else if (invitation) {
    body = (
      <>
        <p className="muted">
          {words.position}: <strong>{invitation.requisitionTitle}</strong> · {words.expires}{" "}
          {new Date(invitation.expiresAt).toLocaleString(language === "zh" ? "zh-CN" : "en-GB")}
        </p>
        {openedUsed && (
          <p className="alert" role="status" data-testid="link-used">
            {words.linkUsed}
          </p>
        )}
        {open && showQuestions && !invitation.consent.aiProcessing && (
          <Notice token={token} language={language} onRecorded={() => reload({ requestPolicy: "network-only" })} />
        )}
        {open && showQuestions && invitation.consent.aiProcessing && (
          <Interview
            token={token}
            language={language}
            invitation={invitation}
            onChanged={() => reload({ requestPolicy: "network-only" })}
            onSubmitted={() => {
              setAnswering(false);
              reload({ requestPolicy: "network-only" });
            }}
          />
        )}
        {!showQuestions && (
          <StatusView
            token={token}
            language={language}
            interviewId={invitation.interviewId}
            initialStatus={invitation.status}
            initialReason={invitation.statusReason}
            onReopened={() => {
              setAnswering(true);
              reload({ requestPolicy: "network-only" });
            }}
          />
        )}
      </>
    );
  }

  return (
    <>
      <header className="bar">
        <h1>{words.title}</h1>
        <button
          type="button"
          className="secondary"
          lang={language === "zh" ? "en" : "zh-CN"}
          aria-label={words.languageSwitchLabel}
          onClick={() => setLanguage(language === "zh" ? "en" : "zh")}
        >
          {words.languageSwitch}
        </button>
      </header>
      <main>{body}</main>
    </>
  );
}

function Notice({ token, language, onRecorded }: { token: string; language: Language; onRecorded(): void }) {
  const words = WORDS[language];
  const [aiProcessing, setAiProcessing] = useState(false);
  const [biometric, setBiometric] = useState(false);
  const [tried, setTried] = useState(false);
  const [{ fetching, data }, record] = useMutation(CandidateConsentRecordDocument);
  const errors = data?.interviewConsentRecord.errors ?? [];
  return (
    <section className="card" aria-labelledby="notice-heading">
      <h2 id="notice-heading">{words.noticeHeading}</h2>
      {words.noticeBody.map((paragraph) => (
        <p key={paragraph}>{paragraph}</p>
      ))}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setTried(true);
          if (!aiProcessing || fetching) return;
          void record({
            input: { invitationToken: token, aiProcessing, biometric, noticeVersion: NOTICE_VERSION },
          }).then((result) => {
            if (result.data?.interviewConsentRecord.consent) onRecorded();
          });
        }}
      >
        <div className="choice">
          <input
            id="consent-ai"
            type="checkbox"
            checked={aiProcessing}
            onChange={(event) => setAiProcessing(event.target.checked)}
          />
          <label htmlFor="consent-ai">{words.consentAi}</label>
        </div>
        <div className="choice">
          <input
            id="consent-biometric"
            type="checkbox"
            checked={biometric}
            onChange={(event) => setBiometric(event.target.checked)}
          />
          <label htmlFor="consent-biometric">{words.consentBiometric}</label>
        </div>
        {tried && !aiProcessing && (
          <p className="alert error" role="alert">
            {words.consentNeedAi}
          </p>
        )}
        {errors.map((error) => (
          <p key={error.code} className="alert error" role="alert">
            {error.message}
          </p>
        ))}
        <div className="actions">
          <button type="submit" disabled={fetching}>
            {words.consentContinue}
          </button>
        </div>
      </form>
    </section>
  );
}

type Invitation = CandidateInvitationQuery["invitation"];

function Interview({
  token,
  language,
  invitation,
  onChanged,
  onSubmitted,
}: {
  token: string;
  language: Language;
  invitation: Invitation;
  onChanged(): void;
  onSubmitted(): void;
}) {
  const words = WORDS[language];
  const devices = useDevices(true);
  const questions = invitation.questions;
  const firstOpen = questions.findIndex((question) => !question.answered);
  const [index, setIndex] = useState(firstOpen === -1 ? 0 : firstOpen);
  const [{ fetching, data }, submit] = useMutation(CandidateSubmitDocument);
  const submitting = useRef(false);
  const missing = questions.filter((question) => !question.answered).length;
  const errors = data?.interviewSubmit.errors ?? [];

  function submitOnce(): void {
    if (submitting.current || missing > 0) return; // a double click sends one mutation
    submitting.current = true;
    void submit({ input: { invitationToken: token } }).then((result) => {
      if (result.data?.interviewSubmit.invitation) {
        onSubmitted();
      } else {
        submitting.current = false;
      }
    });
  }

  return (
    <>
      <section className="card" aria-labelledby="devices-heading">
        <h2 id="devices-heading">{words.devicesHeading}</h2>
        {devices.problem ? (
          <div role="alert" data-testid="device-problem" data-problem={devices.problem}>
            <p className="alert error">{devices.problem === "denied" ? words.permissionDenied : words.noDevices}</p>
            <button type="button" onClick={devices.request}>
              {words.allowDevices}
            </button>
          </div>
        ) : (
          <div className="devices">
            <label htmlFor="camera">{words.camera}</label>
            <select id="camera" value={devices.cameraId} onChange={(event) => devices.chooseCamera(event.target.value)}>
              {devices.cameras.map((camera, position) => (
                <option key={camera.deviceId} value={camera.deviceId}>
                  {camera.label || `${words.camera} ${position + 1}`}
                </option>
              ))}
            </select>
            <label htmlFor="microphone">{words.microphone}</label>
            <select
              id="microphone"
              value={devices.microphoneId}
              onChange={(event) => devices.chooseMicrophone(event.target.value)}
            >
              {devices.microphones.map((microphone, position) => (
                <option key={microphone.deviceId} value={microphone.deviceId}>
                  {microphone.label || `${words.microphone} ${position + 1}`}
                </option>
              ))}
            </select>
          </div>
        )}
      </section>
      <nav aria-label={words.questionOf(index + 1, questions.length)} className="steps">
        <ol>
          {questions.map((question, position) => (
            <li key={question.questionId}>
              <button
                type="button"
                className={position === index ? "step current" : "step"}
                aria-current={position === index ? "step" : undefined}
                onClick={() => setIndex(position)}
              >
                {position + 1} {question.answered ? "✓" : ""}
                <span className="visually-hidden">{question.answered ? words.answered : words.notAnswered}</span>
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <QuestionStep
        key={questions[index].questionId}
        token={token}
        language={language}
        question={questions[index]}
        number={index + 1}
        total={questions.length}
        devices={devices}
        onUploaded={onChanged}
      />
      <div className="actions">
        <button type="button" className="secondary" disabled={index === 0} onClick={() => setIndex(index - 1)}>
          {words.previous}
        </button>
        <button
          type="button"
          className="secondary"
          disabled={index === questions.length - 1}
          onClick={() => setIndex(index + 1)}
        >
          {words.next}
        </button>
      </div>
      <section className="card" aria-labelledby="submit-heading">
        <h2 id="submit-heading">{words.submitHeading}</h2>
        <p>{missing > 0 ? words.submitMissing(missing) : words.submitHint}</p>
        {errors.map((error) => (
          <p key={error.code} className="alert error" role="alert">
            {error.message}
          </p>
        ))}
        <div className="actions">
          <button type="button" onClick={submitOnce} disabled={missing > 0 || fetching}>
            {fetching ? words.submitting : words.submit}
          </button>
        </div>
      </section>
    </>
  );
}
