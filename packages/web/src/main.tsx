import { render } from 'preact';
import { App } from './components/App.js';
import { boot } from './state/session.js';
import './styles.css';

render(<App />, document.getElementById('app')!);
void boot();
