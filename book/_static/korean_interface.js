// sphinx-copybutton has no Korean: its tooltips read "Copy" and "Copied!". Its messages and
// button icons are global names in copybutton.js, which runs before this file
// (book/_ext/korean_interface.py loads this file last) and adds the buttons once the page
// has loaded, so changing them here is enough.
/* global messages, iconCopy, iconCheck */
/* eslint-disable no-global-assign */
if (typeof messages !== "undefined" && messages.en) {
  const korean = {
    copy: "복사",
    copy_to_clipboard: "클립보드에 복사",
    copy_success: "복사했습니다",
    copy_failure: "복사하지 못했습니다",
  };
  for (const [key, english] of Object.entries(messages.en)) {
    if (typeof iconCopy === "string") iconCopy = iconCopy.replace(english, korean[key] || english);
    if (typeof iconCheck === "string") iconCheck = iconCheck.replace(english, korean[key] || english);
  }
  Object.assign(messages.en, korean);
}
