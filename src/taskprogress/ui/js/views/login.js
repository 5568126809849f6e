// The login form: LogInByAccount with the SHA-512 of the password, the session kept in sessionStorage.

import { h } from "../dom.js";

const MESSAGES = {
  "ID.1000": "Wrong account name or password.",
  "ID.1006": "Too many sessions are open for this account. Log out elsewhere, or wait for them to expire.",
};

export function loginView({ client, reason, onLoggedIn }) {
  const name = h("input", { id: "account-name", name: "accountName", autocomplete: "username", required: true });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = h("p", { id: "login-error", class: "error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h(
    "form",
    { class: "stack", "aria-describedby": reason ? "login-reason" : null, onsubmit: onSubmit },
    h("label", { for: "account-name" }, "Account name"),
    name,
    h("label", { for: "password" }, "Password"),
    password,
    error,
    submit,
  );
  const element = h(
    "section",
    { class: "card login", "aria-labelledby": "login-title" },
    h("h2", { id: "login-title" }, "Log in"),
    reason ? h("p", { id: "login-reason", class: "info", role: "status" }, reason) : null,
    form,
  );

  async function onSubmit(event) {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = "Logging in…";
    try {
      await client.login(name.value.trim(), password.value);
      onLoggedIn();
    } catch (e) {
      error.textContent = MESSAGES[e.code] ?? `Login failed: ${e.code ?? ""} ${e.message}`.trim();
      error.hidden = false;
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Log in";
    }
  }

  return {
    element,
    title: "Log in",
    mounted() {
      (name.value ? password : name).focus();
    },
    dispose() {},
  };
}
