"""The lender's approved notification templates, one per channel and audience, in Chinese.

Debtor templates name the lender and may carry debt fields; contact templates name the lender and only
ask the contact to pass on a message (no debt fields, art. 8(三)). The demand letter is sealed and its
envelope shows no debt information (art. 15(三)). One edited SMS is still awaiting approval.
"""

from __future__ import annotations

from typing import Any

from collectguard.demo.organisations import HOTLINE, LENDER, LENDER_NAME, LENDER_SHORT

NOTIFICATION_CHANNELS = ("voice", "sms", "5g_message", "email", "im", "video")

DEBTOR_TEXTS = {
    "voice": (
        f"您好，这里是{LENDER_NAME}。{{name}}您好，您在我司办理的{{product}}已逾期{{overdue_days}}天，"
        f"逾期金额{{overdue_amount}}元。请通过{LENDER_SHORT}官方App或合同约定的还款账户及时还款，"
        f"如有疑问请致电官方客服{HOTLINE}。本次通话将被录音。"
    ),
    "sms": (
        f"【{LENDER_SHORT}】{{name}}您好，您的{{product}}已逾期{{overdue_days}}天，逾期金额{{overdue_amount}}元。"
        f"请通过{LENDER_SHORT}官方App或合同约定账户还款，勿向任何个人账户转账。客服{HOTLINE}。"
    ),
    "5g_message": (
        f"【{LENDER_SHORT}】{{name}}您好，您的{{product}}自{{overdue_since}}起逾期，逾期金额{{overdue_amount}}元。"
        f"点击下方“官方还款”按钮即可在{LENDER_SHORT}官方App内还款。"
    ),
    "email": (
        f"{{name}}先生/女士：您好！您在{LENDER_NAME}办理的{{product}}已逾期{{overdue_days}}天，"
        f"逾期金额{{overdue_amount}}元。请登录{LENDER_SHORT}官方App或通过合同约定账户还款。"
        f"本邮件由系统发送，如有疑问请致电{HOTLINE}。{LENDER_NAME}"
    ),
    "im": (
        f"【{LENDER_SHORT}官方客服】{{name}}您好，您的{{product}}已逾期{{overdue_days}}天，"
        f"逾期金额{{overdue_amount}}元，请通过官方App还款。"
    ),
    "video": (
        f"{LENDER_NAME}视频提醒：{{name}}您好，您的{{product}}已逾期，逾期金额{{overdue_amount}}元，"
        f"请通过官方渠道还款。本视频通话将全程录音录像。"
    ),
}

CONTACT_TEXTS = {
    "voice": (
        f"您好，这里是{LENDER_NAME}，我们有重要事项需要联系{{debtor_name}}，"
        f"麻烦您转告其尽快致电{HOTLINE}。谢谢！本次通话将被录音。"
    ),
    "sms": f"【{LENDER_SHORT}】您好，我司有重要事项需联系{{debtor_name}}，烦请转告其回电{HOTLINE}，谢谢。",
    "5g_message": f"【{LENDER_SHORT}】您好，我司有重要事项需联系{{debtor_name}}，烦请转告其点击下方按钮或回电{HOTLINE}。",
    "email": (
        f"您好！{LENDER_NAME}有重要事项需要与{{debtor_name}}取得联系，"
        f"如方便请转告其致电{HOTLINE}。感谢您的帮助。"
    ),
    "im": f"【{LENDER_SHORT}官方客服】您好，我们有事项需联系{{debtor_name}}，麻烦转告其回电{HOTLINE}，谢谢。",
    "video": f"您好，这里是{LENDER_NAME}，我们需要联系{{debtor_name}}，请您转告其回电{HOTLINE}。本次通话将被录音录像。",
}

LETTER_TEXT = (
    "催收通知函\n{name}先生/女士：\n"
    "您于{loan_date}在我司办理的{product}，截至{today}已逾期{overdue_days}天，逾期金额{overdue_amount}元。"
    f"请于收到本函之日起七日内通过{LENDER_SHORT}官方App或合同约定的还款账户还款。"
    f"如有异议，请致电{HOTLINE}。\n{LENDER_NAME}（盖章）\n{{today}}"
)
ENVELOPE_TEXT = f"{LENDER_NAME} 寄\n{{address}}\n{{name}} 亲启\n（本信件仅限收件人本人拆阅）"
PENDING_TEXT = (
    f"【{LENDER_SHORT}】{{name}}您好，您的{{product}}已逾期{{overdue_days}}天，请尽快还款，"
    f"逾期将影响您的信用记录。客服{HOTLINE}。"
)

# Another draft waiting for approval, in which the review's checks find third-party pressure (art. 7): the console's
# templates page shows a real finding, and approving it is refused until it is rewritten.
FLAWED_TEXT = (
    f"【{LENDER_SHORT}】{{name}}您好，您的{{product}}已逾期{{overdue_days}}天，请尽快还款，"
    f"否则我们将联系您的家人和单位。客服{HOTLINE}。"
)

LETTER = "tpl-letter-debtor"
ENVELOPE = "tpl-envelope"
PENDING = "tpl-sms-debtor-v2-draft"
FLAWED = "tpl-sms-debtor-v3-draft"


def template_id(channel: str, audience: str) -> str:
    return f"tpl-{channel}-{audience}"


def templates() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for audience, texts in (("debtor", DEBTOR_TEXTS), ("contact", CONTACT_TEXTS)):
        rows += [
            {"id": template_id(channel, audience), "institution": LENDER, "audience": audience, "channel": channel,
             "approved": True, "text": texts[channel]}
            for channel in NOTIFICATION_CHANNELS
        ]
    rows += [
        {"id": LETTER, "institution": LENDER, "audience": "debtor", "channel": "letter", "approved": True,
         "sealed": True, "text": LETTER_TEXT},
        {"id": ENVELOPE, "institution": LENDER, "audience": "debtor", "channel": "letter", "approved": True,
         "text": ENVELOPE_TEXT},
        {"id": PENDING, "institution": LENDER, "audience": "debtor", "channel": "sms", "approved": False,
         "text": PENDING_TEXT},
        {"id": FLAWED, "institution": LENDER, "audience": "debtor", "channel": "sms", "approved": False,
         "text": FLAWED_TEXT},
    ]
    return rows
