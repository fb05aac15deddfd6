/** Sign-in: paste a token (the development tokens `npm start` prints work). */
import { h, show } from '../dom';
import { parseToken, signIn, signOutReason } from '../session';

export function signInView(main: HTMLElement, done: () => void): void {
  const input = h('textarea', { id: 'token', rows: 5, spellcheck: false, autocomplete: 'off', placeholder: 'eyJhbGciOi…', 'aria-describedby': 'token-help' });
  const reason = signOutReason();
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, reason ? `Signed out: ${reason}` : null);
  const form = h(
    'form',
    {
      class: 'card signin',
      onsubmit: (e: Event) => {
        e.preventDefault();
        try {
          signIn(parseToken(input.value));
          done();
        } catch (err) {
          error.textContent = (err as Error).message;
        }
      },
    },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('p', { class: 'help', id: 'token-help' }, 'Paste a bearer token. `npm start` prints one for each role; your role decides what the console shows and offers.'),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  show(main, form);
  input.focus();
}
