// Sign in with a bearer token (kept in sessionStorage only) or, where the server offers it, username and password.
import * as api from '../api.js';
import { h, replace, field, notice } from '../dom.js';

export async function render(main, ctx) {
  const tokenInput = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true,
    spellcheck: 'false' });
  const tokenMessage = h('div', { class: 'message' });
  const tokenForm = h('form', { class: 'card', id: 'token-form', 'aria-labelledby': 'token-title' },
    h('h2', { id: 'token-title' }, 'With a token'),
    field('Bearer token', tokenInput, 'The token an administrator gave you (pumptrack tokens create). ' +
      'It stays in this browser tab only and is forgotten when the tab closes.'),
    h('button', { type: 'submit' }, 'Sign in'),
    tokenMessage);
  tokenForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = tokenInput.value.trim();
    if (!value) return;
    api.setToken(value);
    tokenInput.value = '';
    try {
      await api.session();
    } catch (error) {
      api.clearToken();
      replace(tokenMessage, notice('error', error.httpStatus === 401
        ? 'That token was not accepted (unknown, expired or revoked).' : `Sign-in failed: ${error.message}`));
      tokenInput.focus();
      return;
    }
    await ctx.signedIn();
  });

  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password',
    required: true });
  const passwordMessage = h('div', { class: 'message' });
  const passwordForm = h('form', { class: 'card', id: 'password-form', 'aria-labelledby': 'password-title' },
    h('h2', { id: 'password-title' }, 'With your hospital account'),
    field('Username', user),
    field('Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
    passwordMessage);
  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const answer = await api.signIn(user.value.trim(), password.value);
      password.value = '';
      api.setToken(answer.token);
    } catch (error) {
      password.value = '';
      const text = error.httpStatus === 404
        ? 'This server does not offer account sign-in; use a token.'
        : error.httpStatus === 401 ? 'Wrong username or password.' : `Sign-in failed: ${error.message}`;
      replace(passwordMessage, notice('error', text));
      return;
    }
    await ctx.signedIn();
  });

  replace(main,
    h('h1', {}, 'Sign in to pumptrack'),
    h('div', { class: 'cards' }, tokenForm, passwordForm));
  tokenInput.focus();
}
