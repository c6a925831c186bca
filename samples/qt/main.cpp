// SPDX-License-Identifier: Apache-2.0
// nativeauth-qt-sample: the window; or, started by the OS with a custom-scheme redirect, a second instance
// that hands the URL to the first and exits without showing anything.
#include "app_config.hpp"
#include "main_window.hpp"
#include "session_controller.hpp"

#include <QApplication>
#include <QCoreApplication>

#include <cstdio>

int main(int argc, char **argv) {
  QStringList arguments;
  for (int i = 0; i < argc; ++i) arguments << QString::fromLocal8Bit(argv[i]);
  QString why;
  auto invocation = qtsample::parse_invocation(arguments, &why);
  if (!invocation) {
    std::fprintf(stderr, "%s\n", qUtf8Printable(why));
    return arguments.contains("--help") || arguments.contains("-h") ? 0 : 2;
  }

  using Mode = qtsample::Invocation::Mode;
  QString message;
  switch (invocation->mode) {
    case Mode::handle_redirect: {
      // No QApplication: a second instance must not need a display, and it is done in milliseconds.
      const int code = qtsample::forward_to_first_instance(*invocation, &message);
      std::fprintf(stderr, "nativeauth-qt-sample: %s\n", qUtf8Printable(message));
      return code;
    }
    case Mode::register_scheme:
    case Mode::unregister_scheme: {
      QCoreApplication app(argc, argv);
      const int code = qtsample::register_scheme(*invocation, QCoreApplication::applicationFilePath(), &message);
      std::fprintf(stderr, "nativeauth-qt-sample: %s\n", qUtf8Printable(message));
      return code;
    }
    case Mode::window: break;
  }

  QApplication app(argc, argv);
  auto controller = qtsample::SessionController::create(std::move(invocation->config), &why);
  if (!controller) {
    std::fprintf(stderr, "nativeauth-qt-sample: %s\n", qUtf8Printable(why));
    return 2;
  }
  qtsample::MainWindow window(*controller);
  window.show();
  controller->start();
  return QApplication::exec();
}
