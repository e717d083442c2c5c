"""The candidate e-mails, in Chinese and English: what they say, built from the interview's own data.

Pure functions (no I/O): ``MailContent`` in, an ``email.message.EmailMessage`` out. Each message is one
``text/plain`` UTF-8 part, Chinese first, then English, so every mail program shows both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from gateway.models.enums import NotificationKind

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
"""UTC+8 all year (no daylight saving): the deadline is shown in Beijing time and in UTC."""


@dataclass(frozen=True)
class MailContent:
    kind: NotificationKind
    candidate_name: str
    recipient: str
    sender: str
    message_id: str
    requisition_title: str
    invitation_url: str
    expires_at: datetime
    question_time_limits_seconds: tuple[int, ...]
    reminder_hours_before_expiry: int


def _minutes(seconds: int) -> float:
    return seconds / 60


def _format_minutes(minutes: float) -> str:
    return f"{minutes:.0f}" if minutes == int(minutes) else f"{minutes:.1f}"


def time_per_question(limits: tuple[int, ...]) -> tuple[str, str]:
    """("每题 2 分钟", "2 minutes per question"), or a range when the questions differ."""
    if not limits:
        return "不限时", "no time limit"
    shortest, longest = _format_minutes(_minutes(min(limits))), _format_minutes(_minutes(max(limits)))
    if shortest == longest:
        return f"每题 {shortest} 分钟", f"{shortest} minute{'s' if longest != '1' else ''} per question"
    return f"每题 {shortest}–{longest} 分钟", f"{shortest}–{longest} minutes per question"


def deadline_text(expires_at: datetime) -> tuple[str, str]:
    beijing = expires_at.astimezone(CHINA_STANDARD_TIME)
    utc = expires_at.astimezone(UTC)
    chinese = f"{beijing.year}年{beijing.month}月{beijing.day}日 {beijing:%H:%M}（北京时间）"
    english = f"{beijing.day} {beijing:%B %Y}, {beijing:%H:%M} China Standard Time ({utc:%Y-%m-%d %H:%M} UTC)"
    return chinese, english


def subject(content: MailContent) -> str:
    title = one_line(content.requisition_title)
    if content.kind is NotificationKind.REMINDER:
        return f"【面试提醒】「{title}」AI 面试即将截止 | Reminder: your AI interview for {title} closes soon"
    return f"【AI 面试邀请】「{title}」 | Invitation to an AI interview: {title}"


def body(content: MailContent) -> str:
    count = len(content.question_time_limits_seconds)
    per_question_zh, per_question_en = time_per_question(content.question_time_limits_seconds)
    total = _format_minutes(round(sum(content.question_time_limits_seconds) / 60, 1))
    deadline_zh, deadline_en = deadline_text(content.expires_at)
    name, title, link = content.candidate_name, content.requisition_title, content.invitation_url
    hours = content.reminder_hours_before_expiry
    if content.kind is NotificationKind.REMINDER:
        opening_zh = f"您的「{title}」AI 面试尚未提交，将于 {deadline_zh} 截止。请在截止前完成。"
        opening_en = f"Your AI interview for {title} has not been submitted yet. It closes on {deadline_en}."
        reminder_zh = "这是唯一一次提醒；如不想再收到提醒，可在面试页面关闭。"
        reminder_en = "This is the only reminder; you can turn reminders off on the interview page."
    else:
        opening_zh = f"感谢您申请「{title}」职位。诚邀您参加 AI 视频面试，请在 {deadline_zh} 前完成。"
        opening_en = f"Thank you for applying for {title}. Please take the AI video interview before {deadline_en}."
        reminder_zh = f"如截止前 {hours} 小时仍未提交，我们会提醒您一次；不需要提醒可在面试页面关闭。"
        reminder_en = (
            f"If it is not submitted {hours} hours before the deadline, we will remind you once;"
            " you can turn reminders off on the interview page."
        )
    return "\n".join(
        [
            f"{name}，您好：",
            "",
            opening_zh,
            "",
            f"面试链接：{link}",
            f"截止时间：{deadline_zh}",
            f"题目数量：{count} 道，{per_question_zh}，作答共约 {total} 分钟",
            "",
            "请提前准备：",
            "· 可用的摄像头和麦克风（电脑或手机均可），并允许浏览器使用；",
            "· 安静、光线充足的房间，作答期间不受打扰；",
            "· 稳定的网络连接。",
            "",
            "开始前您会看到隐私告知，并分别选择是否同意 AI 分析和人脸/声音分析。",
            reminder_zh,
            "此链接仅供您本人使用，请勿转发。",
            "",
            "————————",
            "",
            f"Dear {name},",
            "",
            opening_en,
            "",
            f"Interview link: {link}",
            f"Deadline: {deadline_en}",
            f"Questions: {count}, {per_question_en}, about {total} minutes of answering in all",
            "",
            "Before you start, please make sure you have:",
            "- a working camera and microphone (computer or phone) that your browser may use;",
            "- a quiet, well-lit room where you will not be interrupted;",
            "- a stable internet connection.",
            "",
            "Before the first question you will see the privacy notice and choose separately whether to allow"
            " AI analysis and face/voice analysis.",
            reminder_en,
            "This link is for you alone; please do not forward it.",
            "",
        ]
    )


def one_line(text: str) -> str:
    """Header text on one line: a name or title holding a line break cannot add a header."""
    return " ".join(text.split())


def _address(display_name: str, address: str) -> Address:
    username, _, domain = address.rpartition("@")
    return Address(display_name=one_line(display_name), username=username, domain=domain)


def render(content: MailContent, *, now: datetime) -> EmailMessage:
    message = EmailMessage()
    sender_name, sender_address = parseaddr(content.sender)
    message["From"] = _address(sender_name, sender_address)
    message["To"] = _address(content.candidate_name, content.recipient)
    message["Subject"] = subject(content)
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Message-ID"] = content.message_id
    message["Content-Language"] = "zh-CN, en"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body(content), charset="utf-8")
    return message
