// The page script: one delegated listener, so it works for HTML that streams in later.
(() => {
  function viewer() {
    let v = document.getElementById('article-viewer');
    if (v) return v;
    v = document.createElement('div');
    v.id = 'article-viewer';
    v.setAttribute('role', 'dialog');
    v.setAttribute('aria-modal', 'true');
    v.hidden = true;
    v.innerHTML = '<div class="viewer-bar"><span>Article</span>' +
      '<button type="button" id="article-close" aria-label="Close the article">Close ✕</button>' +
      '</div><div class="viewer-body"></div>';
    document.body.appendChild(v);
    v.querySelector('#article-close').addEventListener('click', () => { v.hidden = true; });
    return v;
  }
  function open(turn, doc, n) {
    const art = document.querySelector(
      `.article-full[data-turn="${turn}"][data-doc="${CSS.escape(doc)}"]`);
    if (!art) return;
    const v = viewer();
    const body = v.querySelector('.viewer-body');
    body.innerHTML = art.innerHTML;
    body.dataset.doc = doc;
    v.hidden = false;
    let target = null;
    if (n) {
      body.querySelectorAll('mark.q').forEach(m => {
        const on = m.dataset.ns.split(' ').includes(String(n));
        m.classList.toggle('active', on);
        if (on && !target) target = m;
      });
    }
    if (target) target.scrollIntoView({block: 'center'});
    else body.scrollTop = 0;
  }
  document.addEventListener('click', (e) => {
    const cite = e.target.closest('a.cite');
    if (cite) {
      e.preventDefault(); e.stopPropagation();
      const m = (cite.getAttribute('href') || '').match(/^#src-(\d+)-(\d+)$/);
      const src = m && document.querySelector(`.src[data-turn="${m[1]}"][data-n="${m[2]}"]`);
      if (src) open(src.dataset.turn, src.dataset.doc, src.dataset.n);
      return;
    }
    const also = e.target.closest('a.also-link');
    if (also) { e.preventDefault(); open(also.dataset.turn, also.dataset.doc, null); return; }
    const src = e.target.closest('.src');
    if (src && !e.target.closest('a')) open(src.dataset.turn, src.dataset.doc, src.dataset.n);
  }, true);
  // A new answer shows its first line (the short answer), not the end of a long one: the
  // chat's own scroll box moves the answer's top to its top, and the window follows only
  // when that top is off screen (a phone). Gradio's autoscroll is off (layout.py).
  let answers = '';
  function scroller(el, stop) {
    for (let n = el.parentElement; n && n !== stop; n = n.parentElement) {
      const y = getComputedStyle(n).overflowY;
      if ((y === 'auto' || y === 'scroll') && n.scrollHeight > n.clientHeight) return n;
    }
    return null;
  }
  function pin() {
    const chat = document.getElementById('chat');
    if (!chat) return;
    const all = chat.querySelectorAll('.answer, .refusal');
    const last = all[all.length - 1];
    // once when an answer starts streaming and once when it is done (the rows above it
    // settle meanwhile); never for older answers, so reading back up is left alone
    const key = all.length + (last && last.classList.contains('done') ? 'd' : 's');
    if (!last || key === answers) { if (!last) answers = ''; return; }
    answers = key;
    const top = last.closest('.message-row') || last;
    const box = scroller(top, chat.parentElement);
    // below the "Conversation" label, which floats over the top of the scroll box
    const label = chat.querySelector('[data-testid="block-label"], .block-label, label');
    const under = label ? Math.max(0, label.getBoundingClientRect().bottom -
      (box ? box.getBoundingClientRect().top : 0)) : 0;
    if (box) box.scrollTop += top.getBoundingClientRect().top - box.getBoundingClientRect().top -
      under - 8;
    const y = top.getBoundingClientRect().top;
    if (y < 0 || y > window.innerHeight - 60) window.scrollBy(0, y - 8);
  }
  new MutationObserver(pin).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('keydown', (e) => {
    const v = document.getElementById('article-viewer');
    if (e.key === 'Escape' && v) v.hidden = true;
    const src = e.target.closest && e.target.closest('.src');
    if (src && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault(); open(src.dataset.turn, src.dataset.doc, src.dataset.n);
    }
  });
})();
