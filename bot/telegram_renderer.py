"""The Telegram renderer: the neutral reply model (bot/replies.py) as Bot API calls."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode

from bot.replies import Attachment, Keyboard

CAPTION = 1000
"""Telegram takes captions up to 1,024 characters."""
NOTICE = 190
"""A press's notice is cut at 200 characters by Telegram."""


def telegram_markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """A keyboard as inline buttons carrying their data."""
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(c.label, callback_data=c.data) for c in row]
            for row in keyboard.rows
        ]
    )


@dataclass(frozen=True)
class TelegramRenderer:
    """Shows replies through the bot's Bot API; Telegram's errors are the caller's."""

    bot: Bot

    async def say(
        self,
        chat_id: int,
        text: str,
        *,
        keyboard: Keyboard | None = None,
        html: bool = False,
        reply_to: int | None = None,
    ) -> int | None:
        sent = await self.bot.send_message(
            chat_id=chat_id,
            text=text,
            reply_markup=telegram_markup(keyboard),
            parse_mode=ParseMode.HTML if html else None,
            disable_web_page_preview=True,
            reply_parameters=(
                ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                if reply_to is not None
                else None
            ),
        )
        return sent.message_id

    async def attach(self, chat_id: int, attachment: Attachment) -> None:
        caption = attachment.caption[:CAPTION]
        if attachment.kind == "photo":
            await self.bot.send_photo(chat_id=chat_id, photo=attachment.data, caption=caption)
            return
        await self.bot.send_document(
            chat_id=chat_id,
            document=attachment.data,
            filename=attachment.filename or None,
            caption=caption,
        )

    async def rebutton(self, chat_id: int, message_id: int, keyboard: Keyboard | None) -> None:
        await self.bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=telegram_markup(keyboard)
        )

    async def acknowledge(self, press_id: str, notice: str | None, *, alert: bool = False) -> None:
        await self.bot.answer_callback_query(
            press_id, text=notice[:NOTICE] if notice else None, show_alert=alert or None
        )
